#!/usr/bin/env python3
"""Turns $WPOA_RUN/bench/results.json (from bench.py) into docs/benchmarks.md and the chart
docs/benchmarks.png (gnuplot, benches/stack/chart.gp). The prose around the numbers comes from
benches/stack/report-notes.md (hand-written analysis), and the extension's own micro-benchmark
table from docs/benchmarks-ext.md (scripts/bench-ext.sh) when it exists.

  python3 benches/stack/report.py [results.json]
"""

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
RUN = os.environ.get('WPOA_RUN') or os.path.join(REPO, '.run')
RESULTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get('BENCH_OUT') or os.path.join(RUN, 'bench'), 'results.json')
DOC = os.path.join(REPO, 'docs', 'benchmarks.md')
PNG = os.path.join(REPO, 'docs', 'benchmarks.png')

LABELS = {
    'posts-anonymous': '(1) GET /wp/v2/posts, anonymous',
    'posts-app-password': '(2) GET /wp/v2/posts, Application Password',
    'posts-bearer': '(3) GET /wp/v2/posts, bearer token',
    'me-app-password': '(4a) GET /wp/v2/users/me, Application Password',
    'me-bearer': '(4b) GET /wp/v2/users/me, bearer token',
    'token-code-exchange': '(5a) POST /token, code exchange',
    'token-refresh': '(5b) POST /token, refresh',
    'posts-anonymous-noext': '(1′) GET /wp/v2/posts, anonymous, on the no-extension pool (plugin inactive; profile only)',
}
SHORT = {
    'posts-anonymous': 'posts anon', 'posts-app-password': 'posts app-pw', 'posts-bearer': 'posts bearer',
    'me-app-password': 'me app-pw', 'me-bearer': 'me bearer', 'token-code-exchange': 'token code',
    'token-refresh': 'token refresh',
}


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def rng(xs, fmt='%.2f'):
    return (fmt + '–' + fmt) % (min(xs), max(xs)) if xs else '–'


def main():
    with open(RESULTS) as f:
        r = json.load(f)
    runs = r['runs']
    names = []
    for run in runs:
        if run['scenario'] not in names:
            names.append(run['scenario'])
    by = {n: [x for x in runs if x['scenario'] == n] for n in names}
    rounds = sorted({x['round'] for x in runs})

    def per_round_diff(a, b):
        """CPU ms/req of scenario a minus scenario b, paired by round."""
        out = []
        for k in rounds:
            xa = [x for x in by.get(a, []) if x['round'] == k]
            xb = [x for x in by.get(b, []) if x['round'] == k]
            if xa and xb:
                out.append(xa[0]['fpm_cpu_ms_per_req'] - xb[0]['fpm_cpu_ms_per_req'])
        return out

    agg = {}
    for n in names:
        xs = by[n]
        agg[n] = {
            'rps': [x['rps'] for x in xs], 'p50': [x['p50_ms'] for x in xs], 'p99': [x['p99_ms'] for x in xs],
            'cpu': [x['fpm_cpu_ms_per_req'] for x in xs], 'bg': [x['background_cores'] for x in xs],
            'bad': sum(x['bad'] for x in xs), 'requests': sum(x['requests'] for x in xs),
            'stack': [x['stack_cpu_ms_per_req'] for x in xs],
        }
    base_of = {'posts-app-password': 'posts-anonymous', 'posts-bearer': 'posts-anonymous',
               'me-bearer': 'me-app-password'}
    diffs = {n: per_round_diff(n, b) for n, b in base_of.items() if n in by and b in by}
    prof = r.get('profile') or {}

    # ---- main table ------------------------------------------------------------------------
    lines = []
    lines.append('| scenario | req/s median (min–max) | p50 ms | p99 ms | php-fpm CPU ms/req median (min–max) | auth cost vs baseline, ms CPU/req: median (min–max) | auth CPU in PHP, ms (profile) | SQL queries | background CPU, cores median (max) | non-2xx |')
    lines.append('|---|---|---|---|---|---|---|---|---|---|')
    for n in names:
        a = agg[n]
        d = diffs.get(n)
        dtxt = '–'
        if d:
            dtxt = '%+.2f (%+.2f … %+.2f) vs %s' % (med(d), min(d), max(d), SHORT[base_of[n]])
        p = prof.get(n, {}) if isinstance(prof, dict) else {}
        ptxt = '%.3f' % p['auth_cpu_ms'] if 'auth_cpu_ms' in p else '–'
        qtxt = '%d' % p['queries'] if 'queries' in p else '–'
        lines.append('| %s | %.1f (%s) | %.1f | %.1f | %.2f (%s) | %s | %s | %s | %.2f (%.2f) | %d |' % (
            LABELS.get(n, n), med(a['rps']), rng(a['rps'], '%.1f'), med(a['p50']), med(a['p99']),
            med(a['cpu']), rng(a['cpu']), dtxt, ptxt, qtxt, med(a['bg']), max(a['bg']), a['bad']))
    table = '\n'.join(lines)

    # ---- targets ---------------------------------------------------------------------------
    tl = ['| target | measured | met? |', '|---|---|---|']

    def verdict(ok):
        return 'yes' if ok else ('**no**' if ok is not None else 'not measured')

    bearer_auth = prof.get('posts-bearer', {}).get('auth_cpu_ms') if isinstance(prof, dict) else None
    app_auth = prof.get('posts-app-password', {}).get('auth_cpu_ms') if isinstance(prof, dict) else None
    anon_auth = prof.get('posts-anonymous', {}).get('auth_cpu_ms') if isinstance(prof, dict) else None
    if 'posts-bearer' in diffs:
        d = diffs['posts-bearer']
        noisy = min(d) < 0.2 < max(d) and max(d) - min(d) > 0.4
        tl.append('| bearer overhead ≤ 0.2 ms php-fpm CPU/req (median), from /proc, (3)−(1) paired by round | %+.2f ms (min %+.2f, max %+.2f) | %s |' % (
            med(d), min(d), max(d), ('inconclusive: the rounds spread over %.1f ms' % (max(d) - min(d))) if noisy else verdict(med(d) <= 0.2)))
    else:
        tl.append('| bearer overhead ≤ 0.2 ms php-fpm CPU/req (median) | bearer scenario not run | not measured |')
    if bearer_auth is not None and anon_auth is not None:
        extra = bearer_auth - anon_auth
        tl.append('| the same, from the profile: CPU inside the authentication filters, bearer minus anonymous | %.3f ms (%.3f − %.3f) | %s |' % (
            extra, bearer_auth, anon_auth, verdict(extra <= 0.2)))
        if app_auth is not None and extra > 0:
            ratio = (app_auth - anon_auth) / extra
            tl.append('| bearer ≥ 10× cheaper than Application Passwords (authentication CPU, profile) | %.1f× (%.3f vs %.3f ms) | %s |' % (
                ratio, app_auth - anon_auth, extra, verdict(ratio >= 10)))
        elif app_auth is not None:
            tl.append('| bearer ≥ 10× cheaper than Application Passwords | bearer authentication costs no measurable CPU over anonymous | yes |')
    bd0 = r.get('auth_breakdown') or {}
    if 'bearer_stage1_and_2' in bd0 and 'anonymous_stage1_and_2' in bd0:
        extra_cli = (bd0['bearer_stage1_and_2'] - bd0['anonymous_stage1_and_2']) / 1000
        tl.append('| the same, piece by piece in the CLI (no other load inside the process): both stages with a bearer token minus without | %.3f ms | %s |' % (
            extra_cli, verdict(extra_cli <= 0.2)))
        if 'app_password_check' in bd0 and extra_cli > 0:
            ratio = bd0['app_password_check'] / 1000 / extra_cli
            tl.append('| bearer ≥ 10× cheaper than Application Passwords, CLI: `wp_authenticate_application_password()` vs the bearer stages | %.1f× (%.3f vs %.3f ms) | %s |' % (
                ratio, bd0['app_password_check'] / 1000, extra_cli, verdict(ratio >= 10)))
    if 'dispatch_posts_bearer' in bd0:
        d_b = (bd0['dispatch_posts_bearer'] - bd0['dispatch_posts_anonymous']) / 1000
        d_u = (bd0['dispatch_posts_bearer'] - bd0['dispatch_posts_user_without_auth']) / 1000
        tl.append('| the same, whole `GET /wp/v2/posts` dispatched in-process (CLI), bearer minus anonymous / minus the same user without authentication | %+.3f / %+.3f ms | %s / %s |' % (
            d_b, d_u, verdict(d_b <= 0.2), verdict(d_u <= 0.2)))
        if 'dispatch_posts_app_password' in bd0 and d_b > 0:
            d_a = (bd0['dispatch_posts_app_password'] - bd0['dispatch_posts_anonymous']) / 1000
            tl.append('| bearer ≥ 10× cheaper than Application Passwords, whole dispatch in-process, each minus anonymous | %.1f× (%+.3f vs %+.3f ms) | %s |' % (
                d_a / d_b, d_a, d_b, verdict(d_a / d_b >= 10)))
            if d_u > 0:
                d_au = (bd0['dispatch_posts_app_password'] - bd0['dispatch_posts_user_without_auth']) / 1000
                tl.append('| … each minus the same user logged in without authentication (the authentication alone) | %.1f× (%+.3f vs %+.3f ms) | %s |' % (
                    d_au / d_u, d_au, d_u, verdict(d_au / d_u >= 10)))
    if isinstance(prof, dict) and 'posts-bearer' in prof and 'posts-anonymous' in prof and 'req_cpu_ms' in prof['posts-bearer']:
        dreq = prof['posts-bearer']['req_cpu_ms'] - prof['posts-anonymous']['req_cpu_ms']
        tl.append('| the same, whole request in the worker (profile, CPU from must-use plugins to end of dispatch, medians), (3)−(1) | %+.2f ms | %s |' % (
            dreq, verdict(dreq <= 0.2)))
    if 'posts-app-password' in diffs and 'posts-bearer' in diffs:
        da, db = med(diffs['posts-app-password']), med(diffs['posts-bearer'])
        tl.append('| the same from /proc: (2)−(1) vs (3)−(1), medians | %+.2f vs %+.2f ms | %s |' % (
            da, db, 'inconclusive: below the noise' if db <= 0.2 else verdict(da / db >= 10)))
    if 'posts-bearer' in agg:
        anon = agg['posts-anonymous']['rps']
        b = med(agg['posts-bearer']['rps'])
        within = min(anon) <= b <= max(anon) or b >= med(anon)
        tl.append('| bearer req/s (3) within the run-to-run spread of anonymous (1) | %.1f vs %.1f (anonymous min–max %s) | %s |' % (
            b, med(anon), rng(anon, '%.1f'), verdict(within)))
    micro = r.get('micro') or {}
    jwt = (micro.get('jwt') or {}).get('ES256')
    if jwt:
        tl.append('| repeat verification of a token ≥ 50× faster than the first (ES256, same process) | %.1f× (%.2f µs first, %.3f µs repeat) | %s |' % (
            jwt['first_over_repeat'], jwt['decode_first_us'], jwt['decode_repeat_us'], verdict(jwt['first_over_repeat'] >= 50)))
    mem = r.get('memory') or {}
    if 'health' in mem:
        def mean(xs):
            return sum(xs) / len(xs)
        h = mem['health']
        drss = (mean(h['node1']['rss_kib']) - mean(h['noext']['rss_kib'])) / 1024
        dpriv = (mean(h['node1']['private_kib']) - mean(h['noext']['private_kib'])) / 1024
        tl.append('| extension’s extra RSS per php-fpm worker ≤ 2 MiB (same PHP page, %d requests) | %+.2f MiB RSS, %+.2f MiB private | %s |' % (
            r['config']['rss_requests'], drss, dpriv, verdict(drss <= 2)))
    sec = micro.get('secret')
    if sec:
        tl.append('| verification of a generated client secret ≤ 10 µs | %.2f µs (wrong secret %.2f µs; hash `%s`) | %s |' % (
            sec['verify_us'], sec['verify_wrong_us'], sec['hash_format'], verdict(sec['verify_us'] <= 10)))
    targets = '\n'.join(tl)

    # ---- memory table ----------------------------------------------------------------------
    ml = []
    if 'health' in mem:
        ml.append('| after %d requests of … | pool | workers | RSS MiB (mean; min–max) | of which `libwp_oauth.so` pages, MiB | PSS MiB (mean) | private MiB (mean) |' % r['config']['rss_requests'])
        ml.append('|---|---|---|---|---|---|---|')
        what = {'health': '`/wpoa-health.php` (PHP only, no WordPress)', 'posts': '… then `GET /wp-json/wp/v2/posts` anonymous'}
        for step in ('health', 'posts'):
            for pool in ('node1', 'noext'):
                m = mem[step][pool]
                so = m.get('so_rss_kib')
                ml.append('| %s | %s | %d | %.2f (%.2f–%.2f) | %s | %.2f | %.2f |' % (
                    what[step], 'node1 (extension, plugin active)' if pool == 'node1' else 'noext (no extension, plugin inactive)',
                    m['workers'], sum(m['rss_kib']) / len(m['rss_kib']) / 1024, min(m['rss_kib']) / 1024, max(m['rss_kib']) / 1024,
                    ('%.2f' % (sum(so) / len(so) / 1024)) if so else '–',
                    sum(m['pss_kib']) / len(m['pss_kib']) / 1024, sum(m['private_kib']) / len(m['private_kib']) / 1024))
    memtable = '\n'.join(ml)

    # ---- micro table -----------------------------------------------------------------------
    mi = []
    if jwt:
        mi.append('| call | µs per call (median of batch means) |')
        mi.append('|---|---|')
        for alg, j in sorted((micro.get('jwt') or {}).items()):
            mi.append('| `wp_oauth_jwt_encode` %s | %.2f |' % (alg, j['encode_us']))
            mi.append('| `wp_oauth_jwt_decode` %s, token not seen before by this process | %.2f |' % (alg, j['decode_first_us']))
            mi.append('| `wp_oauth_jwt_decode` %s, token verified before (verified-token cache) | %.3f (%.0f× faster) |' % (alg, j['decode_repeat_us'], j['first_over_repeat']))
            mi.append('| … a tampered copy of a cached %s token | refused (`%s`) |' % (alg, j['tampered_refused_by']))
        if sec:
            mi.append('| `wp_oauth_secret_verify`, right secret / wrong secret | %.2f / %.2f |' % (sec['verify_us'], sec['verify_wrong_us']))
            mi.append('| `wp_oauth_secret_hash` | %.2f |' % sec['hash_us'])
        for k, v in sorted((micro.get('misc') or {}).items()):
            mi.append('| `wp_oauth_%s` | %.3f |' % (k[:-3], v))
    elif micro.get('error'):
        mi.append('Micro-benchmark not run: %s' % micro['error'])
    microtable = '\n'.join(mi)
    cache_stats = micro.get('cache_stats_after')

    # ---- chart -----------------------------------------------------------------------------
    dat = os.path.join(os.path.dirname(RESULTS), 'chart.dat')
    with open(dat, 'w') as f:
        f.write('# idx label cpu_med cpu_min cpu_max rps_med rps_min rps_max auth_cpu auth_p25 auth_p75 (profile; ? = not profiled)\n')
        for i, n in enumerate(names):
            a = agg[n]
            p = prof.get(n) if isinstance(prof, dict) else None
            auth = '%.3f %.3f %.3f' % (p['auth_cpu_ms'], p['auth_cpu_ms_range'][0], p['auth_cpu_ms_range'][1]) if p and 'auth_cpu_ms' in p else '? ? ?'
            f.write('%d "%s" %.3f %.3f %.3f %.2f %.2f %.2f %s\n' % (
                i, SHORT[n], med(a['cpu']), min(a['cpu']), max(a['cpu']), med(a['rps']), min(a['rps']), max(a['rps']), auth))
    chart_ok = False
    try:
        subprocess.run(['gnuplot', '-e', 'datafile="%s"; outfile="%s"; subtitle="%s"' % (
            dat, PNG, '%s, %d rounds x %d s, wrk -t%d -c%d, %s' % (
                r['machine']['cpu_model'], r['config']['rounds'], r['config']['duration_s'],
                r['config']['threads'], r['config']['connections'], r['started'])),
            os.path.join(HERE, 'chart.gp')], check=True, capture_output=True, text=True)
        chart_ok = True
    except (OSError, subprocess.CalledProcessError) as e:
        print('[report] chart not drawn: %s' % getattr(e, 'stderr', e), file=sys.stderr)

    # ---- profile detail --------------------------------------------------------------------
    pl = []
    if isinstance(prof, dict) and 'error' not in prof:
        base_req = prof.get('posts-anonymous', {}).get('req_cpu_ms')
        pl.append('| scenario | SQL queries per request | wall ms in authentication filters | CPU ms in authentication filters, median (p25–p75) | CPU ms from must-use plugins to end of dispatch, median (p25–p75) | the same minus (1) |')
        pl.append('|---|---|---|---|---|---|')
        for n in names + ['posts-anonymous-noext']:
            if n in prof:
                p = prof[n]
                pl.append('| %s | %d | %.3f | %.3f (%.3f–%.3f) | %.2f (%.2f–%.2f) | %s |' % (
                    LABELS.get(n, n), p['queries'], p['auth_ms'], p['auth_cpu_ms'], p['auth_cpu_ms_range'][0], p['auth_cpu_ms_range'][1],
                    p['req_cpu_ms'], p['req_cpu_ms_range'][0], p['req_cpu_ms_range'][1],
                    ('%+.2f' % (p['req_cpu_ms'] - base_req)) if base_req is not None and n.startswith('posts-') and n != 'posts-anonymous' else '–'))
        if 'posts-anonymous-noext' in prof and base_req is not None:
            pl.append('')
            pl.append('What the active plugin (and the loaded extension) cost an anonymous REST request: (1) minus (1′) = %+.2f ms of CPU (same code path otherwise; the plugin loads its classes and registers its hooks on every request).' % (
                base_req - prof['posts-anonymous-noext']['req_cpu_ms']))
        pl.append('')
        pl.append('%d requests per scenario, interleaved (one of each in turn), after 5 warm-up rounds; CPU from `getrusage()` in the worker.' % (
            prof.get('posts-anonymous', {}).get('samples', 0)))
        base_sql = set(prof.get('posts-anonymous', {}).get('sql', []))
        for n in ('posts-app-password', 'posts-bearer'):
            if n in prof:
                extra = [q for q in prof[n]['sql'] if q not in base_sql]
                pl.append('')
                pl.append('SQL that %s runs and (1) does not:' % LABELS[n])
                pl.append('')
                pl.extend('    %s' % q for q in extra) if extra else pl.append('    (none)')
    elif isinstance(prof, dict) and prof.get('error'):
        pl.append('Profile not run: %s' % prof['error'])
    proftable = '\n'.join(pl)

    # ---- bearer authentication piece by piece ------------------------------------------------
    bl = []
    bd = r.get('auth_breakdown') or {}
    names_bd = [
        ('jwt_decode_cached', '`Crypto::jwt_decode` of a token this process verified before (signature, iss, aud, typ, exp)'),
        ('options_issuer_audience_jwks', '`Urls::issuer()`, `Urls::audience()`, `Keys::public_jwks()` (the decode options)'),
        ('is_rest_request', '`Bearer_Authenticator::is_rest_request()` + `Plugin::is_oauth_endpoint_request()`'),
        ('grant_state_sql', '`Grant_Repository::bearer_state()`: one primary-key query (grant + jti deny-list)'),
        ('load_user_sql', '`get_userdata()` + `get_user_meta()` with empty user caches: 2 queries (every logged-in request pays this)'),
        ('bearer_verify_total', '`Bearer_Authenticator::verify()` in full'),
        ('bearer_stage1_and_2', 'both stages (`determine_current_user` + `rest_authentication_errors`), as in a request'),
        ('anonymous_stage1_and_2', 'the same two stages for a request without credentials (what every anonymous request pays)'),
        ('app_password_check', 'for comparison: `wp_authenticate_application_password()` (user lookup by login + phpass check)'),
        ('dispatch_posts_anonymous', 'whole `GET /wp/v2/posts` in-process (authentication stages + `rest_do_request` + JSON), anonymous'),
        ('dispatch_posts_user_without_auth', '… no credentials through the same filters, then the same user set directly with `wp_set_current_user()` (being logged in, no authentication)'),
        ('dispatch_posts_bearer', '… bearer token'),
        ('dispatch_posts_app_password', '… Application Password'),
    ]
    if bd and 'error' not in bd:
        bl.append('| piece | µs CPU per call (median of 15 batches × 100) |')
        bl.append('|---|---|')
        for k, label in names_bd:
            if k in bd:
                bl.append('| %s | %.1f |' % (label, bd[k]))
    elif bd.get('error'):
        bl.append('Breakdown not run: %s' % bd['error'])
    breakdown = '\n'.join(bl)

    # ---- extension's own micro-benchmark ----------------------------------------------------
    ext_md = os.path.join(os.path.dirname(RESULTS), 'ext.md')  # this run's scripts/bench-ext.sh output
    ext_src = '`scripts/bench-ext.sh` (`benches/jwt-bench.php`: the extension against a userland PHP JWT library), run by `make bench` right after the stack part'
    if not os.path.exists(ext_md):
        ext_md = os.path.join(REPO, 'docs', 'benchmarks-ext.md')
        ext_src = '`docs/benchmarks-ext.md`, written by `scripts/bench-ext.sh`'
    if os.path.exists(ext_md):
        with open(ext_md) as f:
            body = f.read().strip().splitlines()
        if body and body[0].startswith('# '):
            body = body[1:]
        ext_section = '\n'.join(('#' + l) if l.startswith('## ') or l.startswith('### ') else l for l in body).strip()
        ext_section += '\n\n(From %s.)' % ext_src
    else:
        ext_section = '`scripts/bench-ext.sh` gave no table in this run (see the `make bench` output).'

    notes = ''
    if os.path.exists(os.path.join(HERE, 'report-notes.md')):
        with open(os.path.join(HERE, 'report-notes.md')) as f:
            notes = f.read().strip()

    # Bearer vs Application Passwords vs the stateless JWT baseline; idle cost of the plugin.
    ac = r.get('auth_compare') or {}
    names = {'jwt_baseline': 'stateless HS256 JWT baseline (`benches/stack/jwt-baseline.php`, no revocation)',
             'bearer': '**this plugin, bearer** (revocation from the autoloaded list, no query)',
             'bearer_query': 'this plugin, bearer, list overflowed (per-request grant query: the fallback)',
             'app_password': 'Application Password (core)'}
    if 'modes' in ac:
        cg = ac.get('callgrind') or {}
        rows = ['| mode | wall µs median (p25–p75) | CPU µs mean | instructions per call (callgrind) | SQL queries | × baseline: wall median / CPU / instructions |',
                '|---|---|---|---|---|---|']
        for mode, v in ac['modes'].items():
            ins = (cg.get('instructions') or {}).get(mode)
            rows.append('| %s | %.1f (%.1f–%.1f) | %.1f | %s | %d | %.2f / %.2f / %s |' % (
                names.get(mode, mode), v['median_us'], v['p25_us'], v['p75_us'], v['cpu_mean_us'],
                '{:,.0f}'.format(ins) if ins else 'n/a', v['queries'], v['ratio_median'], v['ratio_cpu'],
                '%.2f' % cg['ratio'][mode] if ins else 'n/a'))
        ratio = ac['modes']['bearer']['ratio_median']
        ratios = [ratio, ac['modes']['bearer']['ratio_cpu']] + ([cg['ratio']['bearer']] if cg.get('ratio') else [])
        compare = '\n'.join(rows) + '\n\n' + (
            '**Goal ≤ 1.25× the stateless JWT: %s** (bearer / baseline = %s: wall median, CPU mean%s; %d interleaved calls per mode). '
            'Revocation check: with the per-request grant query bearer costs %.2f× the baseline, with the list %.2f×.' % (
                'met' if max(ratios) <= 1.25 else ('met on some measures only' if min(ratios) <= 1.25 else 'not met'),
                ' / '.join('%.2f' % x for x in ratios), ', instructions' if cg.get('ratio') else '', ac['iterations'],
                cg['ratio']['bearer_query'] if cg.get('ratio') else ac['modes']['bearer_query']['ratio_median'],
                cg['ratio']['bearer'] if cg.get('ratio') else ac['modes']['bearer']['ratio_median']))
    else:
        compare = '(not measured: %s)' % (ac.get('error') or 'no bearer authentication')
    idle = r.get('idle') or {}
    if 'front' in idle:
        rows = ['| request | CPU µs per request, plugin active / inactive / empty plugin (median of %d each) | instructions, active − inactive (callgrind, min of %d) | … of which WordPress spends on any one active plugin (empty plugin − inactive) | … of which this plugin\'s own code (active − empty plugin) | plugin cost, µs (active − inactive; own) |' % (idle['runs'], idle['callgrind_runs']),
                '|---|---|---|---|---|---|']
        worst = 0.0
        for page, label in (('front', 'front page `GET /`'), ('rest', 'anonymous REST `GET /wp-json/wp/v2/posts`')):
            v = idle[page]
            us = v.get('us_diff_from_ir')
            worst = max(worst, us if us is not None else v['cpu_us_diff'])
            rows.append('| %s | %.0f / %.0f / %.0f | %s | %s | %s | %s |' % (
                label, v['cpu_us_active'], v['cpu_us_inactive'], v.get('cpu_us_empty', float('nan')),
                '{:+,}'.format(v['ir_diff']) if 'ir_diff' in v else 'n/a',
                '{:+,}'.format(v['ir_floor']) if 'ir_floor' in v else 'n/a',
                '{:+,}'.format(v['ir_own']) if 'ir_own' in v else 'n/a',
                ('%.1f; %.1f' % (us, v['us_own_from_ir'])) if us is not None else 'n/a'))
        idletable = '\n'.join(rows) + '\n\n' + '**Goal ≤ 0.03 ms idle: %s** (largest, active − inactive: %.1f µs).' % ('met' if worst <= 30 else 'not met', worst)
    else:
        idletable = '(not measured: %s)' % (idle.get('error') or 'skipped')

    m = r['machine']
    c = r['config']
    bg_all = [x['background_cores'] for x in runs]
    cmd = r.get('command') or os.environ.get('BENCH_COMMAND') or 'make bench'
    skipped = ''.join('\n- skipped: %s' % s for s in r.get('skipped', []))
    doc = f"""# Benchmarks

Generated by `make bench` (`scripts/bench.sh` → `benches/stack/bench.py`, `benches/stack/report.py`);
do not edit by hand: the prose comes from `benches/stack/report-notes.md`. A benchmark, not a test:
`make test` does not run it.

- **Command:** `{cmd}`
- **When:** {r['started']}, {r['elapsed_s']:.0f} s for the stack part; git `{m['git']}`
- **Machine:** {m['nproc']} CPUs, {m['cpu_model']}, kernel {m['kernel']}, {m['mem_total']} RAM, {m['os']}
- **Stack:** nginx {m['nginx']} (TLS 1.3, HTTP/1.1 keep-alive from wrk) → php-fpm {m['php']} with opcache
  (pool `node1`: 4 static workers, extension `{(r['setup'].get('extension') or 'not loaded')}`) → MariaDB {m['mariadb']};
  WordPress {m['wordpress']}; `WP_DEBUG` on, no persistent object cache.
- **Load:** wrk {m['wrk']} on loopback, `-t{c['threads']} -c{c['connections']} --latency`, a {c['warmup_s']} s warm-up per
  scenario, then {c['rounds']} rounds × {c['duration_s']} s per scenario, interleaved (odd rounds in table order, even
  rounds reversed) so slow drift of the shared machine cancels.
- **Users:** scenarios (2)/(3) authenticate as `{r['setup'].get('posts_user')}` (its posts list is byte-identical to the
  anonymous one — checked before measuring — so they differ from (1) only by authentication); (4) as
  `{r['setup'].get('me_user')}`. Bearer tokens are minted by the plugin's own `Token_Issuer` (scope `read`, ES256).
- **Background CPU** (other jobs on this shared machine) during the runs: median {med(bg_all):.2f}, max {max(bg_all):.2f}
  cores of {m['nproc']}.{skipped}

## Results

{table}

- *php-fpm CPU ms/req*: utime+stime of all `node1` workers (from `/proc/<pid>/stat`, before and after the run)
  divided by the requests nginx logged for the run. *auth cost*: that figure minus the baseline's in the
  same round ((2),(3) against (1); (4b) against (4a)), median and range over the rounds.
  *auth CPU in PHP (profile)*: CPU time (getrusage) spent inside the `determine_current_user` and
  `rest_authentication_errors` filters, median of the profiled requests (see the profile section), measured
  by a temporary must-use plugin (`benches/stack/profile-mu.php`) after the timed runs. *non-2xx*: responses other than 200
  in nginx's log (499 = cut off by wrk at the end of a run, not counted).
- Latency percentiles are wrk's, per run; the table gives their median over the rounds.

{'![php-fpm CPU per request and requests per second per scenario](benchmarks.png)' if chart_ok else '(chart not drawn: gnuplot missing)'}

## Targets

{targets}

## Bearer authentication vs Application Passwords vs a stateless JWT

`benches/stack/auth-compare.php`, in the PHP CLI inside the same WordPress, the four modes
interleaved call by call (order reversed every other round). One call is what a REST request does
to authenticate: the `determine_current_user` filter, `wp_set_current_user()` with its result and
the `rest_authentication_errors` filter; the user's caches are emptied before every call (as in a
request without a persistent object cache) and the autoloaded options stay loaded (every request
loads them). Each mode is a site with that one method: the baseline is in the style of the popular
WordPress JWT plugins (HS256 with a site secret, `iss` check, user id from the payload, nothing
revoked ever). The instruction counts are the figure to trust: callgrind runs each mode alone
with 10 and with 30 calls and divides the difference by 20, which leaves out WordPress's boot and
the first calls' class loading, and it is not disturbed by the other jobs on this shared machine.
Wall time (hrtime, median per call) and CPU (getrusage, mean) come from the interleaved run and
swing by several times between runs when other jobs hold the cores; instructions do not show the
wait for MariaDB, which the revocation list saves on top. Every figure includes the per-call
set-up (emptying the user caches, resetting the authenticators), the same in every mode. SQL
queries: those of the last call.

{compare}

## Idle cost: plugin active vs inactive

`benches/stack/idle-request.php` served by one `php-cgi -T` process as a warm php-fpm worker serves
it: php-fpm's ini (opcache in shared memory, `validate_timestamps=1`), the extension loaded, the
compiled scripts reused from one request to the next. Three variants take turns request by request:
the plugin active (a real copy of `wp-plugin/` in its own folder, as a host installs it: the stack's
`wp-oauth` is a symlink, and WordPress pays extra on every request for a symlinked plugin), the
plugin filtered out of `active_plugins` before WordPress loads, and an empty plugin in its place
(what WordPress itself spends on any one more active plugin: reading the plugin list, checking and
including the file; on a site with no other plugin also the recovery-mode check). The first round
(compiling) and the last request (process shutdown) are left out. Instruction counts (callgrind,
one dump per request) are the figure to trust; the CPU µs columns (getrusage per request, without
callgrind) are noisy at this scale and give the conversion factor only.

{idletable}

## Worker memory (RSS) with and without the extension

Both php-fpm masters were restarted gracefully (SIGUSR2) so every worker was fresh; then each pool
served the same requests over 4 keep-alive connections (so each of its 4 workers served about a
quarter). `node1` loads `libwp_oauth.so` and the plugin is active; `noext` is the same PHP without the
extension, where the plugin finds no extension and registers nothing. The first pair of rows (a PHP
page that does not load WordPress) isolates the extension; the second adds the active plugin's code
and data. RSS counts shared pages (the `.so` text, opcache's shared memory) in every worker;
*private* is memory that only that worker uses.

{memtable}

## Where the time goes (profile)

{proftable}

### Bearer authentication, piece by piece

`benches/stack/auth-breakdown.php`, in the PHP CLI inside the same WordPress (no opcache: the code
is compiled once before the loops), user caches emptied before each call as in a request without
a persistent object cache:

{breakdown}

## Extension micro-benchmark (PHP CLI, one process = one php-fpm worker's caches)

`benches/stack/micro.php`, run with the stack's copy of the extension:

{microtable}

{('Cache counters after the run (`wp_oauth_cache_stats()`): `' + json.dumps(cache_stats) + '`') if cache_stats else ''}

## The extension's own micro-benchmark

{ext_section}

## Analysis

{notes}
"""
    doc = doc.replace('\n\n\n', '\n\n')
    # The last section, "Scale", comes from make bench-scale (benches/scale/splice.py): keep it.
    if os.path.exists(DOC):
        old = open(DOC).read()
        i = old.find('\n## Scale\n')
        if i >= 0:
            doc = doc.rstrip('\n') + '\n' + old[i:]
    with open(DOC, 'w') as f:
        f.write(doc)
    print('[report] wrote %s%s' % (DOC, ' and ' + PNG if chart_ok else ''))


if __name__ == '__main__':
    main()
