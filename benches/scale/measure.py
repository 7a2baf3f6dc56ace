#!/usr/bin/env python3
"""The scale benchmark's measurements (scripts/bench-scale.sh runs it; see docs/benchmarks.md, "Scale").

  measure.py requests PHASE   bearer check, token endpoint (code, refresh), revocation, introspection:
                              SCALE_REPS sequential HTTPS requests each (after SCALE_WARMUP), wall time
                              per request and the plugin's SQL per request (sql-log.php)
  measure.py cleanup PHASE    one hourly cleanup run (cleanup.php), timed
  measure.py sizes PHASE      rows and bytes of the plugin's tables (information_schema)
  measure.py explain          EXPLAIN of every statement shape the loaded phase ran
  measure.py report           $OUT/scale.md from $OUT/scale.json
Env: WPOA_RUN (the benchmark's stack), SCALE_OUT (results dir), SCALE_REPS [40], SCALE_WARMUP [5].
"""
import base64, http.client, json, os, re, ssl, statistics, subprocess, sys, time, urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RUN = os.environ['WPOA_RUN']
OUT = os.environ.get('SCALE_OUT', os.path.join(RUN, 'scale'))
SITE = json.load(open(os.path.join(RUN, 'site.json')))
REPS = int(os.environ.get('SCALE_REPS', '40'))
WARMUP = int(os.environ.get('SCALE_WARMUP', '5'))
RESULTS = os.path.join(OUT, 'scale.json')
SQL_LOG = os.path.join(RUN, 'logs', 'scale-sql.jsonl')
OPS = ['bearer', 'token-code', 'token-refresh', 'revocation', 'introspection']


def load():
    try:
        return json.load(open(RESULTS))
    except FileNotFoundError:
        return {}


def save(data):
    os.makedirs(OUT, exist_ok=True)
    with open(RESULTS + '.tmp', 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(RESULTS + '.tmp', RESULTS)


def wp_eval(php_file, env=None):
    r = subprocess.run(['php', os.path.join(REPO, 'scripts', 'wp-eval.php'), '-'], stdin=open(php_file),
                       capture_output=True, text=True, env={**os.environ, **(env or {})})
    if r.returncode != 0:
        sys.exit('wp-eval %s failed: %s' % (php_file, r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def sql(query, database=None):
    r = subprocess.run(['mariadb', '--no-defaults', '-uroot', '--socket=' + SITE['db']['socket'], '--batch',
                        database or SITE['db']['name'], '-e', query], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('SQL failed: %s\n%s' % (query[:300], r.stderr))
    lines = [l for l in r.stdout.split('\n') if l]
    if not lines:
        return []
    cols = lines[0].split('\t')
    return [dict(zip(cols, l.split('\t'))) for l in lines[1:]]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def requests(phase):
    creds = wp_eval(os.path.join(os.path.dirname(__file__), 'prepare.php'), {'WPOA_SCALE_COUNT': str(REPS + WARMUP)})
    u = urllib.parse.urlsplit(SITE['url'])
    ctx = ssl.create_default_context(cafile=SITE['ca_cert'])
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
    basic = 'Basic ' + base64.b64encode(('%s:%s' % (creds['client_id'], creds['client_secret'])).encode()).decode()
    rest = '/wp-json/'
    form = {'content-type': 'application/x-www-form-urlencoded', 'authorization': basic}

    def req(op, i):
        if op == 'bearer':
            return 'GET', rest + 'wp/v2/users/me', {'authorization': 'Bearer ' + creds['bearer']}, None
        if op == 'token-code':
            body = {'grant_type': 'authorization_code', 'code': creds['codes'][i], 'redirect_uri': creds['redirect_uri'],
                    'code_verifier': creds['verifier']}
            return 'POST', rest + 'wp-oauth/v1/token', form, body
        if op == 'token-refresh':
            return 'POST', rest + 'wp-oauth/v1/token', form, {'grant_type': 'refresh_token', 'refresh_token': creds['refresh'][i]}
        if op == 'revocation':
            return 'POST', rest + 'wp-oauth/v1/revoke', form, {'token': creds['revoke'][i], 'token_type_hint': 'refresh_token'}
        if op == 'introspection':
            return 'POST', rest + 'wp-oauth/v1/introspect', form, {'token': creds['introspect']}
        raise ValueError(op)

    def check(op, status, body):
        if status != 200:
            sys.exit('%s answered %d: %s' % (op, status, body[:300]))
        data = json.loads(body)
        if op == 'bearer' and data.get('id') != creds['user_id']:
            sys.exit('bearer: users/me is not the token\'s user: %s' % body[:200])
        if op.startswith('token') and not data.get('access_token'):
            sys.exit('%s: no access_token: %s' % (op, body[:200]))
        if op == 'introspection' and data.get('active') is not True:
            sys.exit('introspection: token not active: %s' % body[:200])

    try:
        os.remove(SQL_LOG)
    except FileNotFoundError:
        pass
    walls = {op: [] for op in OPS}
    for op in OPS:
        for i in range(REPS + WARMUP):
            method, path, headers, body = req(op, i)
            headers = {**headers, 'x-wpoa-scale': '%s %s %d' % (phase, op, i), 'accept': 'application/json'}
            data = urllib.parse.urlencode(body) if body is not None else None
            t0 = time.perf_counter()
            conn.request(method, path, body=data, headers=headers)
            res = conn.getresponse()
            text = res.read().decode()
            ms = 1000 * (time.perf_counter() - t0)
            check(op, res.status, text)
            if i >= WARMUP:
                walls[op].append(ms)
    conn.close()
    per = {op: [] for op in OPS}
    for line in open(SQL_LOG):
        e = json.loads(line)
        ph, op, i = e['label'].split(' ')
        if ph == phase and int(i) >= WARMUP:
            per[op].append(e)
    out = {}
    for op in OPS:
        rows = per[op]
        out[op] = {
            'n': len(walls[op]),
            'wall_ms': {'median': statistics.median(walls[op]), 'p10': pct(walls[op], 10), 'p90': pct(walls[op], 90)},
            'oauth_queries': statistics.median([r['oauth'] for r in rows]) if rows else None,
            'oauth_sql_ms': {'median': statistics.median([r['oauth_ms'] for r in rows]), 'p90': pct([r['oauth_ms'] for r in rows], 90)} if rows else None,
            'all_queries': statistics.median([r['queries'] for r in rows]) if rows else None,
            'statements': rows[-1]['statements'] if rows else [],
        }
        print('[scale] %-8s %-14s wall median %6.1f ms (p90 %6.1f); plugin SQL %s queries, median %.3f ms' % (
            phase, op, out[op]['wall_ms']['median'], out[op]['wall_ms']['p90'], out[op]['oauth_queries'],
            out[op]['oauth_sql_ms']['median'] if rows else float('nan')))
    data = load()
    data.setdefault('phases', {}).setdefault(phase, {})['requests'] = out
    save(data)


def cleanup(phase):
    r = wp_eval(os.path.join(os.path.dirname(__file__), 'cleanup.php'))
    print('[scale] %-8s cleanup: %.0f ms wall, %.0f ms in the plugin\'s SQL, deleted %s' % (phase, r['ms'], r['oauth_ms'], r['counts']))
    data = load()
    data.setdefault('phases', {}).setdefault(phase, {}).setdefault('cleanup', []).append(r)
    save(data)


def sizes(phase):
    rows = sql("SELECT TABLE_NAME t, DATA_LENGTH d, INDEX_LENGTH i FROM information_schema.TABLES "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'wp\\_oauth\\_%' ORDER BY TABLE_NAME")
    out = {}
    for r in rows:
        n = int(sql('SELECT COUNT(*) n FROM `%s`' % r['t'])[0]['n'])
        out[r['t']] = {'rows': n, 'data': int(r['d']), 'index': int(r['i'])}
    data = load()
    data.setdefault('phases', {}).setdefault(phase, {})['sizes'] = out
    save(data)
    for t, v in out.items():
        print('[scale] %-8s %-28s %10d rows %8.1f MB data %8.1f MB index' % (phase, t, v['rows'], v['data'] / 2**20, v['index'] / 2**20))


def shape(stmt):
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "'?'", stmt)
    s = re.sub(r'\b\d+\b', 'N', s)
    s = re.sub(r'N(,\s*N)+', 'N, …', s)
    return re.sub(r'\s+', ' ', s).strip()


def explain():
    data = load()
    loaded = data['phases']['loaded']
    seen = {}
    for op, r in loaded['requests'].items():
        for stmt, _ in r['statements']:
            seen.setdefault(shape(stmt), (op, stmt))
    for run in loaded.get('cleanup', [])[:1]:
        for stmt, _ in run['statements']:
            seen.setdefault(shape(stmt), ('cleanup', stmt))
    out = []
    for sh, (op, stmt) in seen.items():
        if not re.match(r'^\s*(SELECT|UPDATE|DELETE)\b', stmt, re.I):
            continue
        plan = sql('EXPLAIN ' + stmt)
        out.append({'op': op, 'statement': sh, 'plan': plan})
        print('[scale] EXPLAIN (%s) %s' % (op, sh[:150]))
        for p in plan:
            print('          table=%s type=%s key=%s rows=%s extra=%s' % (p.get('table'), p.get('type'), p.get('key'), p.get('rows'), p.get('Extra')))
    data['explain'] = out
    save(data)


def old_cleanup_query():
    """The search for ended grants as schema 4 wrote it (one OR over two columns, ORDER BY id, without
    the two indexes schema 5 added) against the two index range scans that replace it, on the loaded
    tables: with the 30-day cutoff (a backlog to delete) and with a cutoff nothing has reached yet
    (the usual hourly run of a site whose backlog is gone)."""
    out = {}
    for case, days in (('backlog', 30), ('nothing due', 1000)):
        before = int(time.time()) - days * 86400
        old = ("SELECT id FROM wp_oauth_grants IGNORE INDEX (expires_at, revoked_at) WHERE (status <> 'active' AND revoked_at IS NOT NULL AND revoked_at < %d) "
               "OR expires_at < %d ORDER BY id ASC LIMIT 500" % (before, before))
        new = ["SELECT id FROM wp_oauth_grants WHERE expires_at < %d ORDER BY expires_at ASC LIMIT 500" % before,
               "SELECT id FROM wp_oauth_grants WHERE revoked_at < %d AND status <> 'active' ORDER BY revoked_at ASC LIMIT 500" % before]
        for name, stmts in (('schema 4', [old]), ('schema 5', new)):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                for st in stmts:
                    sql(st)
                runs.append(1000 * (time.perf_counter() - t0))
            plans = [sql('EXPLAIN ' + st) for st in stmts]
            key = '%s, %s' % (case, name)
            out[key] = {'ms': statistics.median(runs), 'plans': plans, 'statements': stmts}
            print('[scale] ended-grants search (%s): %.1f ms (median of 3, mariadb client included), plans %s' % (
                key, out[key]['ms'], [(p[0].get('type'), p[0].get('key'), p[0].get('rows')) for p in plans]))
    data = load()
    data['old_cleanup_query'] = out
    save(data)


def report():
    data = load()
    ph = data['phases']
    meta = data.get('meta', {})
    L = []
    L.append('- **Command:** `%s`; %s; git `%s`' % (meta.get('command', 'make bench-scale'), meta.get('when', '?'), meta.get('git', '?')))
    L.append('- **Data:** %s grants (%s users, 1,000 clients), %s refresh-token rows, %s revoked token ids, made with SQL '
             'in %s s (`benches/scale/generate.sql`); MariaDB %s, InnoDB buffer pool %s MB (the stack\'s default: most of '
             'the loaded tables do not fit in it).' % (
                 format(meta.get('grants', 0), ','), format(meta.get('grants', 0), ','), format(meta.get('refresh', 0), ','),
                 format(meta.get('revoked', 0), ','), meta.get('generate_s', '?'), meta.get('mariadb', '?'), meta.get('pool_mb', '?')))
    L.append('- **Requests:** %d sequential HTTPS requests per operation after %d warm-up, one keep-alive connection, '
             'as `admin` with a confidential client; "SQL" is the time MariaDB took for the plugin\'s own statements '
             '(`SAVEQUERIES`, `benches/scale/sql-log.php`). Background CPU: %s.' % (REPS, WARMUP, meta.get('load', '?')))
    L.append('')
    L.append('| operation | empty: wall median (p90) ms | loaded: wall median (p90) ms | plugin statements, empty / loaded | empty: plugin SQL ms (median) | loaded: plugin SQL ms (median) |')
    L.append('|---|---|---|---|---|---|')
    for op in OPS:
        e, l = ph['empty']['requests'][op], ph['loaded']['requests'][op]
        L.append('| %s | %.1f (%.1f) | %.1f (%.1f) | %s / %s | %.3f | %.3f |' % (
            op, e['wall_ms']['median'], e['wall_ms']['p90'], l['wall_ms']['median'], l['wall_ms']['p90'],
            fmtn(e['oauth_queries']), fmtn(l['oauth_queries']), e['oauth_sql_ms']['median'], l['oauth_sql_ms']['median']))
    L.append('')
    L.append('Hourly cleanup (`Cleanup::run()`, default caps: 20 batches × 500 rows per kind, no new batch after the '
             '10 s time budget; the loaded tables start with a backlog of about 2×10^5 expired refresh-token rows, '
             '10^4 expired revoked ids and 3.8×10^4 ended grants):')
    L.append('')
    L.append('| run | wall ms | plugin SQL ms | rows deleted |')
    L.append('|---|---|---|---|')
    for name in ('empty', 'loaded'):
        for i, r in enumerate(ph[name].get('cleanup', [])):
            deleted = ', '.join('%s %d' % (k, v) for k, v in r['counts'].items() if v and k != 'keys_published') or 'nothing'
            L.append('| %s, run %d | %.0f | %.0f | %s |' % (name, i + 1, r['ms'], r['oauth_ms'], deleted))
    oq = data.get('old_cleanup_query')
    if oq:
        L.append('')
        L.append('The search for ended grants on the loaded tables, as schema 4 and schema 5 do it, with the 30-day cutoff '
                 '(backlog left after the runs above) and with a cutoff nothing has reached (a site whose backlog is gone); '
                 'through the mariadb client (≈10 ms of each figure is the client starting):')
        L.append('')
        L.append('| case | statements | access (EXPLAIN) | median ms |')
        L.append('|---|---|---|---|')
        for name, x in oq.items():
            L.append('| %s | %d | %s | %.1f |' % (name, len(x['statements']), '; '.join(
                '%s on %s, %s rows' % (p[0].get('type'), p[0].get('key'), p[0].get('rows')) for p in x['plans']), x['ms']))
    L.append('')
    L.append('Table sizes when loaded (`information_schema.TABLES`, InnoDB pages; rows counted):')
    L.append('')
    L.append('| table | rows | data MB | index MB | bytes per row |')
    L.append('|---|---|---|---|---|')
    total = 0
    sizes = ph['loaded']['sizes']
    for t, v in sizes.items():
        total += v['data'] + v['index']
        # Bytes per row only where the rows outweigh InnoDB's fixed minimum (a few 16 KB pages).
        per = '%.0f' % ((v['data'] + v['index']) / v['rows']) if v['rows'] >= 10000 else '–'
        L.append('| `%s` | %s | %.1f | %.1f | %s |' % (t, format(v['rows'], ','), v['data'] / 2**20, v['index'] / 2**20, per))
    g = sizes.get('wp_oauth_grants', {}).get('rows', 0)
    if g:
        L.append('')
        L.append('All the plugin\'s tables together: %.0f MB, **%.0f bytes per grant** with %.0f refresh-token rows per grant.' % (
            total / 2**20, total / g, sizes['wp_oauth_refresh_tokens']['rows'] / g))
    L.append('')
    L.append('EXPLAIN of every statement shape the loaded runs sent (numbers and strings replaced by N and ?):')
    L.append('')
    L.append('| from | statement | table: access, key, rows |')
    L.append('|---|---|---|')
    for x in data.get('explain', []):
        plans = '; '.join('%s: %s, %s, %s%s' % (p.get('table'), p.get('type'), p.get('key'), p.get('rows'),
                                                  (' (' + p['Extra'] + ')') if p.get('Extra') not in (None, 'NULL', '') else '') for p in x['plan'])
        stmt = re.sub(r'N(,\s*N)+', 'N, …', x['statement'])
        L.append('| %s | `%s` | %s |' % (x['op'], stmt.replace('|', '\\|')[:220], plans.replace('|', '\\|')))
    md = '\n'.join(L) + '\n'
    with open(os.path.join(OUT, 'scale.md'), 'w') as f:
        f.write(md)
    print(md)


def fmtn(x):
    return '–' if x is None else ('%g' % x)


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'requests':
        requests(sys.argv[2])
    elif cmd == 'cleanup':
        cleanup(sys.argv[2])
    elif cmd == 'sizes':
        sizes(sys.argv[2])
    elif cmd == 'explain':
        explain()
    elif cmd == 'oldquery':
        old_cleanup_query()
    elif cmd == 'report':
        report()
    elif cmd == 'meta':
        data = load()
        data.setdefault('meta', {}).update(json.loads(sys.argv[2]))
        save(data)
    else:
        sys.exit('usage: measure.py requests|cleanup|sizes PHASE | explain | report | meta JSON')
