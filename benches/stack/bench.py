#!/usr/bin/env python3
"""Stack benchmark driver (issue 8): bearer vs anonymous vs Application Password on the real stack.

Run through `make bench` (scripts/bench.sh), which starts the stack, installs wrk and gnuplot and
then calls:  python3 benches/stack/bench.py
Standard library only. Environment:
  WPOA_RUN          run dir of the stack (site.json, pids/, logs/)            [required]
  BENCH_ROUNDS      interleaved rounds per scenario                           [5]
  BENCH_DURATION    seconds per measured run                                  [8]
  BENCH_WARMUP      seconds of warm-up per scenario before round 1            [5]
  BENCH_THREADS     wrk threads                                               [2]
  BENCH_CONNECTIONS wrk connections                                           [8]
  BENCH_RSS_REQUESTS requests per pool before reading worker memory           [1000]
  BENCH_PROFILE_SAMPLES profiled requests per GET scenario (after 5 warm-up)    [30]
  BENCH_OUT         results directory                                         [$WPOA_RUN/bench]
  BENCH_COMPARE_ITER calls per mode in auth-compare.php                       [400]
  BENCH_IDLE_RUNS   php-cgi requests per variant for the idle cost (CPU µs)   [15]
  BENCH_IDLE_CALLGRIND requests per variant under callgrind for the idle cost [3]
  BENCH_PHP_CGI, BENCH_PHP_CONF_D  php-cgi binary and php-fpm's conf.d (set by scripts/bench.sh)
  BENCH_COMPARE_CALLGRIND [1] count instructions per mode under callgrind (0: skip)
  BENCH_SKIP_COMPARE=1, BENCH_SKIP_IDLE=1 skip those phases

What one run measures (wrk --latency on loopback, fixed connections and duration):
  * req/s and p50/p99 latency as wrk reports them;
  * php-fpm CPU per request: utime+stime (from /proc/<pid>/stat) of ALL worker processes of the
    pool that served the run, after minus before, divided by the number of requests nginx logged
    for the run (requests wrk cut off at the end still cost PHP time, so nginx's count is the
    right denominator);
  * background CPU: busy time of the whole machine (/proc/stat) minus the CPU of this stack's
    php-fpm, nginx and MariaDB processes and of wrk itself, in cores (1.0 = one core fully busy).
Scenarios run interleaved (A B C ... then ... C B A) so slow drift of the shared machine cancels.
"""

import http.client
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
RUN = os.environ.get('WPOA_RUN') or os.path.join(REPO, '.run')
CLK = os.sysconf('SC_CLK_TCK')
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '5'))
DURATION = int(os.environ.get('BENCH_DURATION', '8'))
WARMUP = int(os.environ.get('BENCH_WARMUP', '5'))
THREADS = int(os.environ.get('BENCH_THREADS', '2'))
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '8'))
PROFILE_SAMPLES = int(os.environ.get('BENCH_PROFILE_SAMPLES', '30'))
RSS_REQUESTS = int(os.environ.get('BENCH_RSS_REQUESTS', '1000'))
# Posts scenarios run as a subscriber: the response is then byte-identical to the anonymous one
# (an editor or admin also gets revision links, which cost extra queries that are not authentication).
POSTS_USER = os.environ.get('BENCH_POSTS_USER', 'subscriber')
ME_USER = os.environ.get('BENCH_ME_USER', 'admin')
OUT = os.environ.get('BENCH_OUT') or os.path.join(RUN, 'bench')


def log(msg):
    print('[bench] ' + msg, flush=True)


# ---------------------------------------------------------------------------------------------
# /proc accounting
# ---------------------------------------------------------------------------------------------

def read_pidfile(name):
    try:
        with open(os.path.join(RUN, 'pids', name + '.pid')) as f:
            return int(''.join(c for c in f.read() if c.isdigit()))
    except (OSError, ValueError):
        return None


def proc_stat(pid):
    """(ppid, utime+stime ticks) of a process, or None when it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rfind(')') + 2:].split()
    return int(rest[1]), int(rest[11]) + int(rest[12])


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except OSError:
        return ''


def children(ppid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[0] == ppid:
                out.append(int(d))
    return sorted(out)


def fpm_master(pool):
    return read_pidfile('php-fpm-noext' if pool == 'noext' else 'php-fpm')


def pool_workers(pool):
    """Worker pids of one php-fpm pool of THIS stack (other stacks on the machine use the same
    pool names, so workers are found as children of our own master)."""
    master = fpm_master(pool)
    if not master:
        return []
    return [p for p in children(master) if cmdline(p).startswith('php-fpm: pool %s' % pool)]


def stack_pids():
    """Every long-running process of this stack: php-fpm masters and workers, nginx, MariaDB."""
    pids = []
    for name in ('php-fpm', 'php-fpm-noext', 'nginx', 'mariadb'):
        p = read_pidfile(name)
        if p and proc_stat(p):
            pids.append(p)
            pids.extend(children(p))
    return pids


def ticks(pids):
    total = 0
    for p in pids:
        st = proc_stat(p)
        if st:
            total += st[1]
    return total


def machine_busy():
    """(busy, total) jiffies of the whole machine from the first line of /proc/stat."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    total = sum(v[:8])
    busy = total - v[3] - v[4]
    return busy, total


def nginx_log_size():
    try:
        return os.path.getsize(os.path.join(RUN, 'logs', 'nginx-access.log'))
    except OSError:
        return 0


def nginx_log_since(offset):
    """Statuses of the requests nginx logged after byte offset `offset`."""
    statuses = {}
    path = os.path.join(RUN, 'logs', 'nginx-access.log')
    with open(path, 'rb') as f:
        f.seek(offset)
        for line in f:
            try:
                after = line.split(b'"', 2)[2].split()
                code = after[0].decode()
            except IndexError:
                code = '?'
            statuses[code] = statuses.get(code, 0) + 1
    return statuses


def mem_of(pid):
    """VmRSS and, from smaps_rollup, Pss and Private (clean+dirty), in KiB."""
    out = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    out['rss'] = int(line.split()[1])
        with open('/proc/%d/smaps_rollup' % pid) as f:
            priv = 0
            for line in f:
                k = line.split(':')[0]
                if k == 'Pss':
                    out['pss'] = int(line.split()[1])
                elif k in ('Private_Clean', 'Private_Dirty'):
                    priv += int(line.split()[1])
            out['private'] = priv
        # RSS of the extension's own mapped pages (its code and read-only data).
        so_rss, current = 0, ''
        with open('/proc/%d/smaps' % pid) as f:
            for line in f:
                head = line.split()
                if head and '-' in head[0] and len(head) >= 5:
                    current = head[5] if len(head) > 5 else ''
                elif head and head[0] == 'Rss:' and 'libwp_oauth' in current:
                    so_rss += int(head[1])
        out['so_rss'] = so_rss
    except OSError:
        return None
    return out


# ---------------------------------------------------------------------------------------------
# the site
# ---------------------------------------------------------------------------------------------

with open(os.path.join(RUN, 'site.json')) as _f:
    SITE = json.load(_f)


def wp_eval(script, env=None):
    """Runs a PHP file inside the site (scripts/wp-eval.php) and returns its last stdout line as JSON."""
    e = dict(os.environ, WPOA_RUN=RUN)
    e.update(env or {})
    with open(script) as f:
        r = subprocess.run(['php', os.path.join(REPO, 'scripts', 'wp-eval.php'), '-'], stdin=f,
                           capture_output=True, text=True, env=e, timeout=300)
    if r.returncode != 0:
        raise RuntimeError('%s failed: %s' % (os.path.basename(script), (r.stderr or r.stdout)[-2000:]))
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    return json.loads(lines[-1])


def ssl_ctx():
    ctx = ssl.create_default_context(cafile=SITE['ca_cert'])
    return ctx


def https_request(base, path, method='GET', headers=None, body=None):
    """One request over HTTPS (verifying the stack's CA); returns (status, headers, body)."""
    host, port = base.split('//', 1)[1].split(':')
    c = http.client.HTTPSConnection(host, int(port), context=ssl_ctx(), timeout=60)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def hammer(base, path, n, conns=4):
    """Exactly n GET requests on keep-alive connections (for the memory reading)."""
    host, port = base.split('//', 1)[1].split(':')
    bad = []

    def worker(count):
        c = http.client.HTTPSConnection(host, int(port), context=ssl_ctx(), timeout=60)
        for _ in range(count):
            c.request('GET', path, headers={'Accept': 'application/json'})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                bad.append(r.status)
        c.close()

    ts = [threading.Thread(target=worker, args=(n // conns + (1 if i < n % conns else 0),)) for i in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return bad


# ---------------------------------------------------------------------------------------------
# one wrk run
# ---------------------------------------------------------------------------------------------

def run_wrk(scn, seconds, measure=True):
    out_file = os.path.join(OUT, 'wrk-last.json')
    if os.path.exists(out_file):
        os.unlink(out_file)
    env = dict(os.environ, WPOA_BENCH_OUT=out_file, WPOA_BENCH_AUTH=scn.get('auth', ''),
               WPOA_BENCH_THREADS=str(THREADS))
    if scn.get('bodies'):
        env['WPOA_BENCH_BODIES'] = scn['bodies']
    cmd = ['wrk', '-t%d' % THREADS, '-c%d' % CONNECTIONS, '-d%ds' % seconds, '--latency', '--timeout', '30s',
           '-s', os.path.join(HERE, scn['lua']), scn['base'] + scn['path']]
    pool = scn.get('pool', 'node1')
    workers = pool_workers(pool)
    ours = stack_pids()
    log_off = nginx_log_size()
    fpm0, ours0 = ticks(workers), ticks(ours)
    busy0, total0 = machine_busy()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, _, ru = os.wait4(p.pid, 0)
    stdout, stderr = p.stdout.read(), p.stderr.read()
    p.returncode = 0
    # Let the requests wrk cut off finish in PHP so their CPU is counted with their log lines.
    time.sleep(0.4)
    elapsed = time.monotonic() - t0
    fpm1, ours1 = ticks(workers), ticks(ours)
    busy1, total1 = machine_busy()
    if not measure:
        return None
    try:
        with open(out_file) as f:
            w = json.load(f)
    except (OSError, ValueError):
        raise RuntimeError('wrk gave no summary: %s %s' % (stdout.decode()[-500:], stderr.decode()[-500:]))
    statuses = nginx_log_since(log_off)
    logged = sum(statuses.values())
    wrk_ticks = (ru.ru_utime + ru.ru_stime) * CLK
    after_workers = pool_workers(pool)
    bg_ticks = (busy1 - busy0) - (ours1 - ours0) - wrk_ticks
    res = {
        'scenario': scn['name'],
        'requests': w['requests'],
        'rps': w['requests'] / (w['duration_us'] / 1e6),
        'p50_ms': w['latency_us']['p50'] / 1000.0,
        'p99_ms': w['latency_us']['p99'] / 1000.0,
        'wrk_errors': w['errors'],
        'logged': logged,
        'statuses': statuses,
        'fpm_cpu_ms_per_req': (fpm1 - fpm0) * 1000.0 / CLK / max(1, logged),
        'stack_cpu_ms_per_req': (ours1 - ours0) * 1000.0 / CLK / max(1, logged),
        'wrk_cpu_ms_per_req': wrk_ticks * 1000.0 / CLK / max(1, logged),
        'background_cores': max(0.0, bg_ticks / CLK / elapsed),
        'machine_busy_cores': (busy1 - busy0) / CLK / elapsed,
        'workers_changed': sorted(workers) != sorted(after_workers),
    }
    ok = str(scn.get('expect', 200))
    res['bad'] = sum(v for k, v in statuses.items() if k != ok and k != '499')
    return res


# ---------------------------------------------------------------------------------------------
# phases
# ---------------------------------------------------------------------------------------------

def reload_fpm():
    """Graceful restart of this stack's php-fpm masters (SIGUSR2): fresh workers for the memory
    reading, so both pools have served exactly the same requests."""
    import signal
    old = {pool: set(pool_workers(pool)) for pool in ('node1', 'noext')}
    for pool in ('node1', 'noext'):
        os.kill(fpm_master(pool), signal.SIGUSR2)
    deadline = time.time() + 30
    while time.time() < deadline:
        new = {pool: set(pool_workers(pool)) for pool in ('node1', 'noext')}
        if all(new[p] and not (new[p] & old[p]) and len(new[p]) == len(old[p]) for p in new):
            time.sleep(0.5)
            return
        time.sleep(0.2)
    raise RuntimeError('php-fpm did not restart its workers')


def memory_phase():
    """Worker memory of node1 (extension loaded, plugin active) vs noext (no extension: the plugin
    boots, finds no extension and registers nothing), after the same requests on fresh workers."""
    reload_fpm()
    result = {}
    # Wait until both pools answer, without counting towards the 1,000.
    for base in (SITE['url'], SITE['noext_url']):
        for _ in range(50):
            try:
                if https_request(base, '/wpoa-health.php')[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
    steps = [('health', '/wpoa-health.php'), ('posts', '/wp-json/wp/v2/posts')]
    for step, path in steps:
        for pool, base in (('node1', SITE['url']), ('noext', SITE['noext_url'])):
            bad = hammer(base, path, RSS_REQUESTS)
            if bad:
                raise RuntimeError('memory phase: %s %s answered %s' % (base, path, sorted(set(bad))))
            mems = [m for m in (mem_of(p) for p in pool_workers(pool)) if m]
            result.setdefault(step, {})[pool] = {
                'workers': len(mems),
                'rss_kib': [m['rss'] for m in mems],
                'pss_kib': [m['pss'] for m in mems],
                'private_kib': [m['private'] for m in mems],
                'so_rss_kib': [m['so_rss'] for m in mems],
            }
    health = https_request(SITE['url'], '/wpoa-health.php')[2]
    result['node1_health'] = json.loads(health)
    result['noext_health'] = json.loads(https_request(SITE['noext_url'], '/wpoa-health.php')[2])
    return result


PROFILE_MU = 'wpoa-bench-profile.php'


def profile_phase(scenarios):
    """Per-request SQL queries and PHP time inside authentication, from a must-use plugin copied
    into this stack's WordPress only for this phase (benches/stack/profile-mu.php)."""
    mu_dir = os.path.join(SITE['wp_path'], 'wp-content', 'mu-plugins')
    os.makedirs(mu_dir, exist_ok=True)
    target = os.path.join(mu_dir, PROFILE_MU)
    with open(os.path.join(HERE, 'profile-mu.php')) as src, open(target, 'w') as dst:
        dst.write(src.read())
    out = {}
    todo = [s for s in scenarios if not s.get('bodies') and not s.get('mint')]
    samples = {s['name']: [] for s in todo}
    try:
        # Interleaved (one request of each scenario in turn) so the shared machine's load hits
        # every scenario alike; the first rounds only warm the workers.
        for i in range(PROFILE_SAMPLES + 5):
            for scn in todo:
                hdr = {'Accept': 'application/json', 'X-Wpoa-Bench-Profile': '1'}
                if scn.get('auth'):
                    hdr['Authorization'] = scn['auth']
                status, headers, _ = https_request(scn['base'], scn['path'], headers=hdr)
                raw = headers.get('X-Wpoa-Bench-Profile') or headers.get('x-wpoa-bench-profile')
                if status != 200 or not raw:
                    raise RuntimeError('profile: %s answered %s (profile header %s)' % (scn['name'], status, bool(raw)))
                if i >= 5:
                    samples[scn['name']].append(json.loads(raw))

        def q(xs, f):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(f * len(xs)))]

        for name, ss in samples.items():
            out[name] = {
                'samples': len(ss),
                'queries': statistics.median(s['queries'] for s in ss),
                'auth_ms': statistics.median(s['auth_ms'] for s in ss),
                'auth_cpu_ms': statistics.median(s['auth_cpu_ms'] for s in ss),
                'auth_cpu_ms_range': [q([s['auth_cpu_ms'] for s in ss], 0.25), q([s['auth_cpu_ms'] for s in ss], 0.75)],
                'req_cpu_ms': statistics.median(s['req_cpu_ms'] for s in ss),
                'req_cpu_ms_range': [q([s['req_cpu_ms'] for s in ss], 0.25), q([s['req_cpu_ms'] for s in ss], 0.75)],
                'php_ms': statistics.median(s['php_ms'] for s in ss),
                'sql': ss[-1]['sql'],
            }
    finally:
        os.unlink(target)
    return out


def micro_phase():
    """benches/stack/micro.php in the CLI with the stack's copy of the extension."""
    so = SITE['ext_so']
    r = subprocess.run(['php', '-n', '-d', 'extension=' + so, os.path.join(HERE, 'micro.php')],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return {'error': (r.stderr or r.stdout)[-1000:]}
    res = json.loads(r.stdout.strip().splitlines()[-1])
    ri = subprocess.run(['php', '-n', '-d', 'extension=' + so, '--ri', 'wp_oauth'], capture_output=True, text=True)
    res['php_ri'] = ri.stdout.strip()
    return res


def auth_compare_ir(env, n0=10, n1=30):
    """Instructions per authentication call for each mode of auth-compare.php, under callgrind:
    the same script run with n0 and with n1 calls of one mode; the difference divided by n1 - n0
    leaves out WordPress's boot and the first calls (class loading). Includes the per-call set-up
    (emptying the user caches, resetting the authenticators), the same for every mode."""
    out = {}
    for mode in ('jwt_baseline', 'bearer', 'bearer_query', 'app_password'):
        counts = []
        for n in (n0, n1):
            e = dict(os.environ, WPOA_RUN=RUN, WPOA_EVAL_CHILD='1', WPOA_BENCH_ONLY=mode, WPOA_BENCH_ITER=str(n))
            e.update(env)
            with open(os.path.join(HERE, 'auth-compare.php')) as f:
                r = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', 'php', '-d',
                                    'extension=' + SITE['ext_so'], os.path.join(REPO, 'scripts', 'wp-eval.php'), '-'],
                                   stdin=f, capture_output=True, text=True, env=e, timeout=900)
            import re
            m = re.search(r'Collected : (\d+)', r.stderr)
            if r.returncode != 0 or not m:
                raise RuntimeError('callgrind auth-compare %s: %s' % (mode, r.stderr[-800:]))
            counts.append(int(m.group(1)))
        out[mode] = (counts[1] - counts[0]) / float(n1 - n0)
        log('  callgrind %-13s %9.0f instructions per call' % (mode, out[mode]))
    base = out['jwt_baseline']
    return {'instructions': out, 'ratio': {k: v / base for k, v in out.items()}, 'calls': [n0, n1]}


IDLE_SEQUENCE = ('active', 'inactive', 'empty')


def idle_prepare():
    """The plugin as a host installs it, for the idle cost: a copy of wp-plugin/ in its own folder
    of wp-content/plugins (the stack's wp-oauth is a symlink into the working tree, and WordPress
    pays extra for every symlinked plugin on every request), and an empty plugin in a folder of its
    own (what WordPress itself spends on any one active plugin). Returns the folders to remove."""
    import shutil
    plugins = os.path.join(SITE['wp_path'], 'wp-content', 'plugins')
    copy, empty = os.path.join(plugins, 'wpoa-idle-copy'), os.path.join(plugins, 'wpoa-idle-empty')
    for d in (copy, empty):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(REPO, 'wp-plugin'), copy, symlinks=False)
    os.makedirs(empty)
    with open(os.path.join(empty, 'wpoa-idle-empty.php'), 'w') as f:
        f.write('<?php\n/**\n * Plugin Name: WP OAuth idle-cost baseline (does nothing)\n */\n')
    return [copy, empty]


def idle_worker(page, requests, valgrind=False):
    """One php-cgi process serving `requests` requests of idle-request.php in turn, the variants
    (IDLE_SEQUENCE) taking turns request by request, with the stack's php.ini set (opcache in
    shared memory, the extension) as php-fpm has it: a warm worker. Returns {variant: [values]}
    for the requests after the first round (which compiles the scripts) and before the last (which
    also shuts the process down): CPU µs (getrusage) per request, or with valgrind=True the
    instructions callgrind counted per request (one dump per request, --dump-before)."""
    import re
    import shutil
    import tempfile
    tmp = tempfile.mkdtemp(prefix='idle-', dir=OUT)
    counter = os.path.join(tmp, 'counter')
    with open(counter, 'w') as f:
        f.write('0')
    env = dict(os.environ, WPOA_RUN=RUN, WPOA_IDLE_PAGE=page, WPOA_IDLE_SEQUENCE=','.join(IDLE_SEQUENCE),
               WPOA_IDLE_COUNTER=counter, PHP_INI_SCAN_DIR='%s:%s' % (os.environ.get('BENCH_PHP_CONF_D', ''), os.path.join(RUN, 'php')))
    cmd = [os.environ.get('BENCH_PHP_CGI', 'php-cgi'), '-d', 'opcache.file_cache=' + os.path.join(OUT, 'opcache-cgi'),
           '-d', 'display_errors=0', '-q', '-T', str(requests), os.path.join(HERE, 'idle-request.php')]
    if valgrind:
        cmd = ['valgrind', '--tool=callgrind', '--dump-before=php_request_startup',
               '--callgrind-out-file=' + os.path.join(tmp, 'cg')] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    lines = [json.loads(l) for l in r.stderr.splitlines() if l.startswith('{')]
    if r.returncode != 0 or len(lines) != requests:
        raise RuntimeError('php-cgi idle-request.php %s: %s' % (page, r.stderr[-1500:]))
    out = {v: [] for v in IDLE_SEQUENCE}
    n = len(IDLE_SEQUENCE)
    for i, res in enumerate(lines):  # request i+1
        want = IDLE_SEQUENCE[i % n]
        if res['plugin'] != want or res['status'] != 200 or res['bytes'] <= 0 or res['plugin_loaded'] != (want == 'active'):
            raise RuntimeError('idle-request.php %s request %d: %s' % (page, i + 1, json.dumps(res)))
        if want == 'active' and res['classes'] != ['Wpoa\\Plugin', 'Wpoa\\Autoloader']:
            raise RuntimeError('idle-request.php %s loaded more than the bootstrap: %s' % (page, res['classes']))
        if i < n or i == requests - 1:
            continue
        if valgrind:
            # Dump k (k >= 1) is written before request k starts: dump i+2 holds request i+1.
            with open(os.path.join(tmp, 'cg.%d' % (i + 2))) as f:
                out[want].append(int(re.search(r'^totals: (\d+)', f.read(), re.M).group(1)))
        else:
            out[want].append(res['cpu_us'])
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def idle_phase():
    """What the active plugin costs requests it has nothing to do with: a front-end page and an
    anonymous REST call in a warm php-cgi worker (opcache in shared memory, the stack's php.ini),
    three variants taking turns request by request: the plugin active (a real copy, as a host
    installs it), inactive (filtered out of active_plugins), and an empty plugin in its place.
    Instructions (callgrind, min over the requests) are the primary figure; CPU µs (getrusage,
    median) gives the scale: µs = instructions × (CPU µs / instructions) of the inactive request."""
    import shutil
    shutil.rmtree(os.path.join(OUT, 'opcache-cgi'), ignore_errors=True)
    runs = int(os.environ.get('BENCH_IDLE_RUNS', '15'))
    vg_runs = int(os.environ.get('BENCH_IDLE_CALLGRIND', '3'))
    n = len(IDLE_SEQUENCE)
    out = {'runs': runs, 'callgrind_runs': vg_runs, 'sapi': 'php-cgi -T (warm worker, opcache shared memory)'}
    made = idle_prepare()
    try:
        for page in ('front', 'rest'):
            cpu = idle_worker(page, n * (runs + 1) + 1)
            row = {'cpu_us_%s' % v: statistics.median(cpu[v]) for v in IDLE_SEQUENCE}
            row['cpu_us_diff'] = row['cpu_us_active'] - row['cpu_us_inactive']
            if vg_runs > 0 and subprocess.run(['which', 'valgrind'], capture_output=True).returncode == 0:
                ir = idle_worker(page, n * (vg_runs + 1) + 1, valgrind=True)
                for v in IDLE_SEQUENCE:
                    row['ir_%s' % v] = min(ir[v])
                row['ir_diff'] = row['ir_active'] - row['ir_inactive']
                row['ir_floor'] = row['ir_empty'] - row['ir_inactive']
                row['ir_own'] = row['ir_active'] - row['ir_empty']
                row['us_per_ir'] = row['cpu_us_inactive'] / row['ir_inactive']
                row['us_diff_from_ir'] = row['ir_diff'] * row['us_per_ir']
                row['us_own_from_ir'] = row['ir_own'] * row['us_per_ir']
            out[page] = row
            log('idle %-5s CPU µs active %.0f, inactive %.0f, empty plugin %.0f (medians of %d); instructions active−inactive %s, of which an empty plugin %s (%s µs)' % (
                page, row['cpu_us_active'], row['cpu_us_inactive'], row['cpu_us_empty'], runs, row.get('ir_diff', '?'),
                row.get('ir_floor', '?'), ('%.1f' % row['us_diff_from_ir']) if 'us_diff_from_ir' in row else '?'))
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
    return out


def mint(kind, count, creds):
    path = os.path.join(OUT, 'bodies-%s.txt' % kind)
    wp_eval(os.path.join(HERE, 'mint.php'), {
        'WPOA_BENCH_MINT': kind, 'WPOA_BENCH_COUNT': str(count), 'WPOA_BENCH_FILE': path,
        'WPOA_BENCH_CLIENT': creds['client_id'], 'WPOA_BENCH_REDIRECT': creds['redirect_uri'],
    })
    return path


def check(scn, anon_body):
    """One request of the scenario must succeed as the expected user before it is measured; the
    authenticated posts list must be byte-identical to the anonymous one, so the scenarios differ
    only in authentication. Returns the anonymous posts body."""
    hdr = {'Accept': 'application/json'}
    if scn.get('auth'):
        hdr['Authorization'] = scn['auth']
    status, _, body = https_request(scn['base'], scn['path'], headers=hdr)
    if status != 200:
        raise RuntimeError('%s: %s answered %d: %s' % (scn['name'], scn['path'], status, body[:300]))
    if scn['path'].endswith('/users/me'):
        me = json.loads(body)
        if me.get('id') != SITE['users'][scn['user']]['id']:
            raise RuntimeError('%s: /users/me is user %r, not %s' % (scn['name'], me.get('id'), scn['user']))
    elif scn.get('auth'):
        if body != anon_body:
            raise RuntimeError('%s: the posts list differs from the anonymous one' % scn['name'])
    else:
        anon_body = body
    return anon_body


def machine_info():
    model = ''
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    mem = ''
    with open('/proc/meminfo') as f:
        mem = f.readline().split(':', 1)[1].strip()
    ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
    return {
        'nproc': os.cpu_count(),
        'cpu_model': model,
        'kernel': platform.release(),
        'mem_total': mem,
        'os': ver('. /etc/os-release && echo "$PRETTY_NAME"'),
        'php': ver('php -r "echo PHP_VERSION;"'),
        'nginx': ver('nginx -v 2>&1 | cut -d/ -f2'),
        'mariadb': ver('mariadbd --version | cut -d" " -f4'),
        'wrk': ver('wrk -v 2>&1 | head -1 | cut -d" " -f2'),
        'wordpress': ver("php -r 'include \"%s/wp-includes/version.php\"; echo $wp_version;'" % SITE['wp_path']),
        'git': ver('git -C %s rev-parse --short HEAD' % REPO),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    started = time.time()
    log('set-up: application passwords and bearer tokens (%s)' % SITE['url'])
    creds = wp_eval(os.path.join(HERE, 'setup.php'), {'WPOA_BENCH_USERS': '%s,%s' % (POSTS_USER, ME_USER)})
    b64 = __import__('base64').b64encode

    def app(login):
        return 'Basic ' + b64(('%s:%s' % (login, creds['users'][login]['app_password'])).encode()).decode()

    def bearer(login):
        return 'Bearer ' + creds['users'][login]['bearer']

    have_bearer = bool(creds['users'][POSTS_USER].get('bearer')) and creds.get('has_bearer_auth')
    posts, me = '/wp-json/wp/v2/posts', '/wp-json/wp/v2/users/me'
    U = SITE['url']
    scenarios = [
        {'name': 'posts-anonymous', 'base': U, 'path': posts, 'lua': 'wrk-get.lua'},
        {'name': 'posts-app-password', 'base': U, 'path': posts, 'lua': 'wrk-get.lua', 'auth': app(POSTS_USER), 'user': POSTS_USER},
    ]
    missing = []
    if have_bearer:
        scenarios.append({'name': 'posts-bearer', 'base': U, 'path': posts, 'lua': 'wrk-get.lua',
                          'auth': bearer(POSTS_USER), 'user': POSTS_USER})
    else:
        missing.append('bearer scenarios: %s' % (creds.get('plugin_problem') or 'no Bearer_Authenticator yet'))
    scenarios.append({'name': 'me-app-password', 'base': U, 'path': me, 'lua': 'wrk-get.lua', 'auth': app(ME_USER), 'user': ME_USER})
    if have_bearer:
        scenarios.append({'name': 'me-bearer', 'base': U, 'path': me, 'lua': 'wrk-get.lua',
                          'auth': bearer(ME_USER), 'user': ME_USER})
    token_ok = creds.get('has_token_route') and creds.get('has_code_repo')
    if token_ok and os.environ.get('BENCH_SKIP_TOKEN') != '1':
        tok = '/wp-json/wp-oauth/v1/token'
        scenarios.append({'name': 'token-code-exchange', 'base': U, 'path': tok, 'lua': 'wrk-bodies.lua', 'mint': 'code'})
        scenarios.append({'name': 'token-refresh', 'base': U, 'path': tok, 'lua': 'wrk-bodies.lua', 'mint': 'refresh'})
    else:
        missing.append('token endpoint scenarios: token route %s, Code_Repository %s' % (
            'present' if creds.get('has_token_route') else 'missing', 'present' if creds.get('has_code_repo') else 'missing'))
    for m in missing:
        log('SKIPPED ' + m)

    anon_body = None
    for scn in scenarios:
        if not scn.get('mint'):
            anon_body = check(scn, anon_body)

    results = {'started': time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(started)),
               'command': os.environ.get('BENCH_COMMAND') or 'python3 benches/stack/bench.py',
               'config': {'rounds': ROUNDS, 'duration_s': DURATION, 'warmup_s': WARMUP, 'threads': THREADS,
                          'connections': CONNECTIONS, 'rss_requests': RSS_REQUESTS},
               'machine': machine_info(), 'setup': dict({k: v for k, v in creds.items() if k != 'users'}, posts_user=POSTS_USER, me_user=ME_USER,
                                                                  users={l: {'id': u['id'], 'app_passwords': u['app_passwords'], 'scope': u.get('scope')} for l, u in creds['users'].items()}),
               'skipped': missing, 'runs': []}

    log('memory: fresh php-fpm workers, %d requests per pool (health page, then posts)' % RSS_REQUESTS)
    results['memory'] = memory_phase()

    # Bodies: the best rate seen so far bounds how many single-use tokens a run can consume.
    def bodies_needed(seconds):
        return int(max(150.0, best_rps) * seconds * 1.5) + 200

    best_rps = 100.0
    log('warm-up: %d s per scenario' % WARMUP)
    for scn in scenarios:
        if scn.get('mint'):
            scn['bodies'] = mint(scn['mint'], bodies_needed(WARMUP), creds)
        run_wrk(scn, WARMUP, measure=False)

    for r in range(ROUNDS):
        order = scenarios if r % 2 == 0 else list(reversed(scenarios))
        for scn in order:
            if scn.get('mint'):
                scn['bodies'] = mint(scn['mint'], bodies_needed(DURATION), creds)
                time.sleep(0.5)
            res = run_wrk(scn, DURATION)
            res['round'] = r + 1
            best_rps = max(best_rps, res['rps'])
            results['runs'].append(res)
            log('round %d %-20s %7.1f req/s  p50 %6.1f ms  p99 %6.1f ms  php-fpm %6.2f ms/req  bg %.2f cores%s' % (
                r + 1, scn['name'], res['rps'], res['p50_ms'], res['p99_ms'], res['fpm_cpu_ms_per_req'],
                res['background_cores'], ('  NON-2xx: %s' % res['statuses']) if res['bad'] else ''))

    log('profile: SQL queries and time in authentication per request')
    try:
        # Plus the anonymous posts list on the no-extension pool (plugin inactive there): what the
        # active plugin costs every anonymous REST request.
        results['profile'] = profile_phase(scenarios + [
            {'name': 'posts-anonymous-noext', 'base': SITE['noext_url'], 'path': '/wp-json/wp/v2/posts'}])
    except Exception as e:  # the numbers above stand without it
        results['profile'] = {'error': str(e)}
        log('profile failed: %s' % e)

    if have_bearer:
        log('auth breakdown: CPU per piece of bearer verification vs an Application Password check (CLI)')
        try:
            results['auth_breakdown'] = wp_eval(os.path.join(HERE, 'auth-breakdown.php'), {
                'WPOA_BENCH_TOKEN': creds['users'][POSTS_USER]['bearer'],
                'WPOA_BENCH_APP': creds['users'][POSTS_USER]['app_password'], 'WPOA_BENCH_LOGIN': POSTS_USER})
        except RuntimeError as e:
            results['auth_breakdown'] = {'error': str(e)}
            log('auth breakdown failed: %s' % e)

    if have_bearer and os.environ.get('BENCH_SKIP_COMPARE') != '1':
        log('bearer vs Application Password vs stateless HS256 JWT, interleaved (CLI, in-process)')
        try:
            results['auth_compare'] = wp_eval(os.path.join(HERE, 'auth-compare.php'), {
                'WPOA_BENCH_TOKEN': creds['users'][POSTS_USER]['bearer'],
                'WPOA_BENCH_APP': creds['users'][POSTS_USER]['app_password'], 'WPOA_BENCH_LOGIN': POSTS_USER,
                'WPOA_BENCH_ITER': os.environ.get('BENCH_COMPARE_ITER', '400')})
            for mode, v in results['auth_compare']['modes'].items():
                log('  %-13s median %6.1f µs (p25 %.1f, p75 %.1f)  CPU %6.1f µs  %d queries  ×%.2f of the JWT baseline' % (
                    mode, v['median_us'], v['p25_us'], v['p75_us'], v['cpu_mean_us'], v['queries'], v['ratio_median']))
            if os.environ.get('BENCH_COMPARE_CALLGRIND', '1') == '1' and subprocess.run(['which', 'valgrind'], capture_output=True).returncode == 0:
                results['auth_compare']['callgrind'] = auth_compare_ir({
                    'WPOA_BENCH_TOKEN': creds['users'][POSTS_USER]['bearer'],
                    'WPOA_BENCH_APP': creds['users'][POSTS_USER]['app_password'], 'WPOA_BENCH_LOGIN': POSTS_USER})
        except RuntimeError as e:
            results['auth_compare'] = {'error': str(e)}
            log('auth compare failed: %s' % e)

    if os.environ.get('BENCH_SKIP_IDLE') != '1':
        log('idle cost: plugin active vs inactive vs an empty plugin, front page and anonymous REST call (php-cgi, callgrind)')
        try:
            results['idle'] = idle_phase()
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            results['idle'] = {'error': str(e)}
            log('idle cost failed: %s' % e)

    log('micro-benchmark: verified-token cache and secret verification (CLI)')
    results['micro'] = micro_phase() if os.path.exists(SITE['ext_so']) else {'error': 'extension not built'}
    results['elapsed_s'] = time.time() - started
    with open(os.path.join(OUT, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    log('results: %s (%.0f s)' % (os.path.join(OUT, 'results.json'), results['elapsed_s']))


if __name__ == '__main__':
    try:
        main()
    except (RuntimeError, OSError) as e:
        print('[bench] ERROR: %s' % e, file=sys.stderr)
        sys.exit(1)
