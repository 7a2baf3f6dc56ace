<?php
/**
 * A Redis object cache for WordPress: the `object-cache.php` drop-in of the local stack's Redis
 * mode (WPOA_OBJECT_CACHE=redis, scripts/lib/redis.sh).
 *
 * A TEST FIXTURE, NOT PART OF THE PLUGIN. WP OAuth works with any persistent object cache a site
 * already runs; this one exists because no maintained drop-in is packaged in the registries the
 * project uses (docs/decisions/redis-object-cache-fixture.md). It implements WordPress's
 * WP_Object_Cache API (wp-includes/cache.php, cache-compat.php) over the php-redis extension:
 *
 * - keys: `<prefix><blog id>:<group>:<key>`, `<prefix>global:<group>:<key>` for global groups
 *   (multisite-safe: wp_cache_switch_to_blog() changes the blog part);
 * - non-persistent groups stay in this request's memory only;
 * - add = SET NX, replace = SET XX, set = SET, each with EX when an expiry is given;
 *   incr/decr atomic in Redis (a Lua script: a missing key fails, a negative result is 0);
 * - get/set/add/delete_multiple, flush (this prefix only), flush_group, flush_runtime;
 * - integers are stored as decimal strings (so INCRBY-like updates work), everything else
 *   PHP-serialized; objects are cloned in and out as core's cache does.
 *
 * Faults: a Redis that cannot be reached within WPOA_REDIS_TIMEOUT seconds is given up for the
 * rest of the request, which then runs on this request's memory alone, exactly like WordPress
 * without a persistent cache: reads miss and go to the database. A write or delete that could not
 * reach Redis may leave an entry there that the database has since changed, so the drop-in
 * records it (WPOA_REDIS_STALE_FILE) and the next request that reaches Redis flushes this
 * prefix before using it: after an outage the cache starts empty instead of stale.
 *
 * Settings (constants, defined before this file is loaded): WPOA_REDIS_SOCKET (unix socket) or
 * WPOA_REDIS_HOST + WPOA_REDIS_PORT; WPOA_REDIS_PREFIX; WPOA_REDIS_TIMEOUT (seconds, default
 * 0.5); WPOA_REDIS_STALE_FILE (path of the missed-write marker, optional).
 *
 * @package Wpoa\Tests
 */

defined( 'ABSPATH' ) || exit;

/**
 * The object cache over Redis. One instance per request, in `$GLOBALS['wp_object_cache']`.
 */
class WP_Object_Cache {

	/**
	 * This request's copy of what it read or wrote: full key => value.
	 *
	 * @var array<string,mixed>
	 */
	private $local = array();

	/**
	 * Groups shared by every site of a network.
	 *
	 * @var array<string,true>
	 */
	private $global_groups = array();

	/**
	 * Groups kept in this request's memory only.
	 *
	 * @var array<string,true>
	 */
	private $non_persistent_groups = array();

	/**
	 * Current blog id (multisite), the blog part of non-global keys.
	 *
	 * @var int
	 */
	private $blog_id = 1;

	/**
	 * The connection, null before the first use, false once given up for this request.
	 *
	 * @var \Redis|false|null
	 */
	private $redis = null;

	/**
	 * Key prefix of this site.
	 *
	 * @var string
	 */
	private $prefix;

	/**
	 * Counters for tests: round trips to Redis, persistent hits and misses, failures.
	 *
	 * @var array<string,int>
	 */
	public $stats = array(
		'calls'    => 0,
		'hits'     => 0,
		'misses'   => 0,
		'failures' => 0,
	);

	/** Atomic incr/decr: a missing key fails, a non-integer counts as 0, never below 0, TTL kept. */
	const INCR_SCRIPT = "local v = redis.call('GET', KEYS[1]) if not v then return false end "
		. "local n = tonumber(v) if n == nil or string.find(v, '^-?%d+$') == nil then n = 0 end "
		. "n = n + tonumber(ARGV[1]) if n < 0 then n = 0 end "
		. "redis.call('SET', KEYS[1], string.format('%d', n), 'KEEPTTL') return n";

	/**
	 * Sets up the instance; connects lazily on the first persistent call.
	 */
	public function __construct() {
		$this->prefix  = defined( 'WPOA_REDIS_PREFIX' ) ? (string) WPOA_REDIS_PREFIX : 'wp:';
		$this->blog_id = function_exists( 'is_multisite' ) && is_multisite() ? (int) get_current_blog_id() : 1;
	}

	/**
	 * The connection, or null when Redis cannot be used in this request.
	 *
	 * @return \Redis|null
	 */
	private function redis(): ?\Redis {
		if ( false === $this->redis ) {
			return null;
		}
		if ( null !== $this->redis ) {
			return $this->redis;
		}
		$timeout = defined( 'WPOA_REDIS_TIMEOUT' ) ? (float) WPOA_REDIS_TIMEOUT : 0.5;
		try {
			$r = new \Redis();
			if ( defined( 'WPOA_REDIS_SOCKET' ) ) {
				$ok = $r->connect( WPOA_REDIS_SOCKET, 0, $timeout );
			} else {
				$ok = $r->connect( defined( 'WPOA_REDIS_HOST' ) ? WPOA_REDIS_HOST : '127.0.0.1', defined( 'WPOA_REDIS_PORT' ) ? (int) WPOA_REDIS_PORT : 6379, $timeout );
			}
			if ( ! $ok ) {
				throw new \RedisException( 'connect failed' );
			}
			$r->setOption( \Redis::OPT_READ_TIMEOUT, $timeout );
			$this->redis = $r;
			$this->recover_from_missed_writes();
			return $this->redis instanceof \Redis ? $this->redis : null;
		} catch ( \Throwable $e ) {
			$this->fail( $e );
			return null;
		}
	}

	/**
	 * Gives Redis up for the rest of the request.
	 *
	 * @param \Throwable $e What went wrong.
	 */
	private function fail( \Throwable $e ): void {
		++$this->stats['failures'];
		if ( false !== $this->redis ) {
			error_log( 'object-cache-redis: Redis unavailable for this request: ' . $e->getMessage() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
		}
		$this->redis = false;
	}

	/**
	 * A write or delete did not reach Redis: mark the cache as possibly stale for every node.
	 */
	private function missed_write(): void {
		if ( defined( 'WPOA_REDIS_STALE_FILE' ) ) {
			@file_put_contents( WPOA_REDIS_STALE_FILE, (string) time() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * After a missed write, flush this prefix before anything is read, then clear the mark.
	 */
	private function recover_from_missed_writes(): void {
		if ( ! defined( 'WPOA_REDIS_STALE_FILE' ) || ! file_exists( WPOA_REDIS_STALE_FILE ) ) {
			return;
		}
		$this->delete_matching( $this->prefix . '*' );
		@unlink( WPOA_REDIS_STALE_FILE ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions
	}

	/**
	 * Runs one Redis call; on failure gives Redis up for the request.
	 *
	 * @param callable $fn    Receives the connection.
	 * @param bool     $write Whether a failure may leave a stale entry behind.
	 * @return array{0:bool,1:mixed} [reached Redis, result].
	 */
	private function call( callable $fn, bool $write ): array {
		$r = $this->redis();
		if ( null === $r ) {
			if ( $write ) {
				$this->missed_write();
			}
			return array( false, null );
		}
		try {
			++$this->stats['calls'];
			return array( true, $fn( $r ) );
		} catch ( \Throwable $e ) {
			$this->fail( $e );
			if ( $write ) {
				$this->missed_write();
			}
			return array( false, null );
		}
	}

	/**
	 * Deletes every key matching a pattern (SCAN, not KEYS).
	 *
	 * @param string $pattern Redis glob.
	 * @return bool Whether Redis was reached.
	 */
	private function delete_matching( string $pattern ): bool {
		list( $ok ) = $this->call(
			static function ( \Redis $r ) use ( $pattern ) {
				$r->setOption( \Redis::OPT_SCAN, \Redis::SCAN_RETRY );
				$it = null;
				while ( false !== ( $keys = $r->scan( $it, $pattern, 500 ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
					if ( $keys ) {
						$r->del( $keys );
					}
				}
				return true;
			},
			true
		);
		return $ok;
	}

	/**
	 * The full key of a key in a group.
	 *
	 * @param int|string $key   Key.
	 * @param string     $group Group.
	 * @return string
	 */
	private function key( $key, string $group ): string {
		$group = '' === $group ? 'default' : $group;
		$scope = isset( $this->global_groups[ $group ] ) ? 'global' : (string) $this->blog_id;
		return $this->prefix . $scope . ':' . $group . ':' . $key;
	}

	/**
	 * Whether a group lives in this request's memory only.
	 *
	 * @param string $group Group.
	 * @return bool
	 */
	private function local_only( string $group ): bool {
		return isset( $this->non_persistent_groups[ '' === $group ? 'default' : $group ] );
	}

	/**
	 * A value as stored in Redis.
	 *
	 * @param mixed $value Value.
	 * @return string
	 */
	private static function encode( $value ): string {
		return is_int( $value ) ? (string) $value : serialize( $value ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
	}

	/**
	 * A stored value back.
	 *
	 * @param string $raw As stored.
	 * @return mixed
	 */
	private static function decode( string $raw ) {
		if ( 1 === preg_match( '/^-?\d+$/', $raw ) ) {
			return (int) $raw;
		}
		return unserialize( $raw ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
	}

	/**
	 * A copy, so callers cannot change the cached object.
	 *
	 * @param mixed $value Value.
	 * @return mixed
	 */
	private static function copy( $value ) {
		return is_object( $value ) ? clone $value : $value;
	}

	/**
	 * Stores with SET and its condition.
	 *
	 * @param int|string $key    Key.
	 * @param mixed      $data   Value.
	 * @param string     $group  Group.
	 * @param int        $expire Seconds, 0 = no expiry.
	 * @param string     $mode   '' (set), 'NX' (add) or 'XX' (replace).
	 * @return bool
	 */
	private function store( $key, $data, string $group, int $expire, string $mode ): bool {
		if ( ! is_int( $key ) && ! is_string( $key ) || '' === (string) $key ) {
			return false;
		}
		$full = $this->key( $key, $group );
		$data = self::copy( $data );
		if ( $this->local_only( $group ) ) {
			$exists = array_key_exists( $full, $this->local );
			if ( ( 'NX' === $mode && $exists ) || ( 'XX' === $mode && ! $exists ) ) {
				return false;
			}
			$this->local[ $full ] = $data;
			return true;
		}
		$opts = array();
		if ( '' !== $mode ) {
			$opts[] = $mode;
		}
		if ( $expire > 0 ) {
			$opts['ex'] = $expire;
		}
		$raw             = self::encode( $data );
		list( $ok, $res ) = $this->call(
			static function ( \Redis $r ) use ( $full, $raw, $opts ) {
				return $opts ? $r->set( $full, $raw, $opts ) : $r->set( $full, $raw );
			},
			true
		);
		if ( ! $ok ) {
			// As WordPress without a persistent cache: this request's memory only.
			$exists = array_key_exists( $full, $this->local );
			if ( ( 'NX' === $mode && $exists ) || ( 'XX' === $mode && ! $exists ) ) {
				return false;
			}
			$this->local[ $full ] = $data;
			return false;
		}
		if ( true !== $res ) {
			// NX on an existing key or XX on a missing one: Redis's copy wins, forget ours.
			unset( $this->local[ $full ] );
			return false;
		}
		$this->local[ $full ] = $data;
		return true;
	}

	/**
	 * Adds data to the cache if the key does not exist yet.
	 *
	 * @param int|string $key    Key.
	 * @param mixed      $data   Value.
	 * @param string     $group  Group.
	 * @param int        $expire Seconds, 0 = no expiry.
	 * @return bool False when the key exists.
	 */
	public function add( $key, $data, $group = 'default', $expire = 0 ) {
		if ( function_exists( 'wp_suspend_cache_addition' ) && wp_suspend_cache_addition() ) {
			return false;
		}
		return $this->store( $key, $data, (string) $group, (int) $expire, 'NX' );
	}

	/**
	 * Replaces data of an existing key.
	 *
	 * @param int|string $key    Key.
	 * @param mixed      $data   Value.
	 * @param string     $group  Group.
	 * @param int        $expire Seconds, 0 = no expiry.
	 * @return bool False when the key does not exist.
	 */
	public function replace( $key, $data, $group = 'default', $expire = 0 ) {
		return $this->store( $key, $data, (string) $group, (int) $expire, 'XX' );
	}

	/**
	 * Sets data.
	 *
	 * @param int|string $key    Key.
	 * @param mixed      $data   Value.
	 * @param string     $group  Group.
	 * @param int        $expire Seconds, 0 = no expiry.
	 * @return bool False when Redis could not be written.
	 */
	public function set( $key, $data, $group = 'default', $expire = 0 ) {
		return $this->store( $key, $data, (string) $group, (int) $expire, '' );
	}

	/**
	 * Adds several values (each as add()).
	 *
	 * @param array<int|string,mixed> $data   Key => value.
	 * @param string                  $group  Group.
	 * @param int                     $expire Seconds.
	 * @return array<int|string,bool>
	 */
	public function add_multiple( array $data, $group = '', $expire = 0 ) {
		$out = array();
		foreach ( $data as $key => $value ) {
			$out[ $key ] = $this->add( $key, $value, $group, $expire );
		}
		return $out;
	}

	/**
	 * Sets several values in one round trip (MULTI … EXEC).
	 *
	 * @param array<int|string,mixed> $data   Key => value.
	 * @param string                  $group  Group.
	 * @param int                     $expire Seconds.
	 * @return array<int|string,bool>
	 */
	public function set_multiple( array $data, $group = '', $expire = 0 ) {
		$group = (string) $group;
		if ( $this->local_only( $group ) || count( $data ) < 2 ) {
			$out = array();
			foreach ( $data as $key => $value ) {
				$out[ $key ] = $this->set( $key, $value, $group, $expire );
			}
			return $out;
		}
		$rows = array();
		foreach ( $data as $key => $value ) {
			$rows[ $key ] = array( $this->key( $key, $group ), self::copy( $value ) );
		}
		$expire           = (int) $expire;
		list( $ok, $res ) = $this->call(
			static function ( \Redis $r ) use ( $rows, $expire ) {
				$m = $r->multi( \Redis::PIPELINE );
				foreach ( $rows as $row ) {
					$raw = self::encode( $row[1] );
					$expire > 0 ? $m->set( $row[0], $raw, array( 'ex' => $expire ) ) : $m->set( $row[0], $raw );
				}
				return $m->exec();
			},
			true
		);
		$out = array();
		$i   = 0;
		foreach ( $rows as $key => $row ) {
			$this->local[ $row[0] ] = $row[1];
			$out[ $key ]            = $ok && is_array( $res ) && true === ( $res[ $i ] ?? null );
			++$i;
		}
		return $out;
	}

	/**
	 * Gets a value.
	 *
	 * @param int|string $key   Key.
	 * @param string     $group Group.
	 * @param bool       $force Read Redis even if this request has a copy.
	 * @param bool|null  $found Set to whether the key was found.
	 * @return mixed|false
	 */
	public function get( $key, $group = 'default', $force = false, &$found = null ) {
		$group = (string) $group;
		$full  = $this->key( $key, $group );
		if ( array_key_exists( $full, $this->local ) && ( ! $force || $this->local_only( $group ) ) ) {
			$found = true;
			return self::copy( $this->local[ $full ] );
		}
		if ( $this->local_only( $group ) ) {
			$found = false;
			return false;
		}
		list( $ok, $raw ) = $this->call(
			static function ( \Redis $r ) use ( $full ) {
				return $r->get( $full );
			},
			false
		);
		if ( ! $ok || ! is_string( $raw ) ) {
			++$this->stats['misses'];
			$found = false;
			return false;
		}
		++$this->stats['hits'];
		$value                = self::decode( $raw );
		$this->local[ $full ] = $value;
		$found                = true;
		return self::copy( $value );
	}

	/**
	 * Gets several values in one round trip (MGET).
	 *
	 * @param array<int|string> $keys  Keys.
	 * @param string            $group Group.
	 * @param bool              $force Read Redis even if this request has copies.
	 * @return array<int|string,mixed> Key => value, false for missing keys.
	 */
	public function get_multiple( $keys, $group = 'default', $force = false ) {
		$group = (string) $group;
		$out   = array();
		$ask   = array();
		foreach ( $keys as $key ) {
			$full = $this->key( $key, $group );
			if ( array_key_exists( $full, $this->local ) && ( ! $force || $this->local_only( $group ) ) ) {
				$out[ $key ] = self::copy( $this->local[ $full ] );
			} elseif ( $this->local_only( $group ) ) {
				$out[ $key ] = false;
			} else {
				$out[ $key ] = false;
				$ask[ $key ] = $full;
			}
		}
		if ( $ask ) {
			$fulls           = array_values( $ask );
			list( $ok, $raw ) = $this->call(
				static function ( \Redis $r ) use ( $fulls ) {
					return $r->mget( $fulls );
				},
				false
			);
			$i = 0;
			foreach ( $ask as $key => $full ) {
				$v = $ok && is_array( $raw ) ? ( $raw[ $i ] ?? false ) : false;
				++$i;
				if ( is_string( $v ) ) {
					++$this->stats['hits'];
					$this->local[ $full ] = self::decode( $v );
					$out[ $key ]          = self::copy( $this->local[ $full ] );
				} else {
					++$this->stats['misses'];
				}
			}
		}
		return $out;
	}

	/**
	 * Deletes a key.
	 *
	 * @param int|string $key   Key.
	 * @param string     $group Group.
	 * @return bool Whether it existed.
	 */
	public function delete( $key, $group = 'default' ) {
		$group = (string) $group;
		$full  = $this->key( $key, $group );
		$had   = array_key_exists( $full, $this->local );
		unset( $this->local[ $full ] );
		if ( $this->local_only( $group ) ) {
			return $had;
		}
		list( $ok, $n ) = $this->call(
			static function ( \Redis $r ) use ( $full ) {
				return $r->del( $full );
			},
			true
		);
		return $ok ? (int) $n > 0 : $had;
	}

	/**
	 * Deletes several keys.
	 *
	 * @param array<int|string> $keys  Keys.
	 * @param string            $group Group.
	 * @return array<int|string,bool>
	 */
	public function delete_multiple( array $keys, $group = '' ) {
		$out = array();
		foreach ( $keys as $key ) {
			$out[ $key ] = $this->delete( $key, $group );
		}
		return $out;
	}

	/**
	 * Adds to a numeric value (atomically in Redis).
	 *
	 * @param int|string $key    Key.
	 * @param int        $offset Amount (negative to decrement).
	 * @param string     $group  Group.
	 * @return int|false The new value, false when the key does not exist.
	 */
	public function incr( $key, $offset = 1, $group = 'default' ) {
		$group = (string) $group;
		$full  = $this->key( $key, $group );
		if ( $this->local_only( $group ) ) {
			if ( ! array_key_exists( $full, $this->local ) ) {
				return false;
			}
			$v                    = is_numeric( $this->local[ $full ] ) ? (int) $this->local[ $full ] : 0;
			$this->local[ $full ] = max( 0, $v + (int) $offset );
			return $this->local[ $full ];
		}
		$offset         = (int) $offset;
		list( $ok, $n ) = $this->call(
			static function ( \Redis $r ) use ( $full, $offset ) {
				return $r->eval( self::INCR_SCRIPT, array( $full, (string) $offset ), 1 );
			},
			true
		);
		if ( ! $ok || ! is_int( $n ) ) {
			unset( $this->local[ $full ] );
			return false;
		}
		$this->local[ $full ] = $n;
		return $n;
	}

	/**
	 * Subtracts from a numeric value (never below 0).
	 *
	 * @param int|string $key    Key.
	 * @param int        $offset Amount.
	 * @param string     $group  Group.
	 * @return int|false
	 */
	public function decr( $key, $offset = 1, $group = 'default' ) {
		return $this->incr( $key, -(int) $offset, $group );
	}

	/**
	 * Empties the cache of this site's prefix (every blog) and this request's copy.
	 *
	 * @return bool Whether Redis was reached.
	 */
	public function flush() {
		$this->local = array();
		return $this->delete_matching( $this->prefix . '*' );
	}

	/**
	 * Empties one group, on every blog.
	 *
	 * @param string $group Group.
	 * @return bool Whether Redis was reached.
	 */
	public function flush_group( $group ) {
		$group = '' === (string) $group ? 'default' : (string) $group;
		foreach ( array_keys( $this->local ) as $full ) {
			if ( false !== strpos( $full, ':' . $group . ':' ) ) {
				unset( $this->local[ $full ] );
			}
		}
		if ( isset( $this->non_persistent_groups[ $group ] ) ) {
			return true;
		}
		return $this->delete_matching( $this->prefix . '*:' . $group . ':*' );
	}

	/**
	 * Forgets this request's copy only.
	 *
	 * @return bool
	 */
	public function flush_runtime() {
		$this->local = array();
		return true;
	}

	/**
	 * Marks groups as global (one copy for the whole network).
	 *
	 * @param string|string[] $groups Groups.
	 */
	public function add_global_groups( $groups ) {
		foreach ( (array) $groups as $g ) {
			$this->global_groups[ (string) $g ] = true;
		}
	}

	/**
	 * Marks groups as non-persistent (this request only).
	 *
	 * @param string|string[] $groups Groups.
	 */
	public function add_non_persistent_groups( $groups ) {
		foreach ( (array) $groups as $g ) {
			$this->non_persistent_groups[ (string) $g ] = true;
		}
	}

	/**
	 * Switches the blog part of non-global keys (multisite).
	 *
	 * @param int $blog_id Blog id.
	 */
	public function switch_to_blog( $blog_id ) {
		$this->blog_id = (int) $blog_id;
	}

	/**
	 * Closes the connection.
	 *
	 * @return bool
	 */
	public function close() {
		if ( $this->redis instanceof \Redis ) {
			try {
				$this->redis->close();
			} catch ( \Throwable $e ) { // phpcs:ignore Generic.CodeAnalysis.EmptyStatement
				// Closing a broken connection: nothing to do.
			}
		}
		$this->redis = null;
		return true;
	}
}

/**
 * Sets up the object cache global.
 */
function wp_cache_init() {
	$GLOBALS['wp_object_cache'] = new WP_Object_Cache();
}

/**
 * @see WP_Object_Cache::add()
 * @param int|string $key    Key.
 * @param mixed      $data   Value.
 * @param string     $group  Group.
 * @param int        $expire Seconds.
 * @return bool
 */
function wp_cache_add( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->add( $key, $data, $group, (int) $expire );
}

/**
 * @see WP_Object_Cache::add_multiple()
 * @param array  $data   Key => value.
 * @param string $group  Group.
 * @param int    $expire Seconds.
 * @return bool[]
 */
function wp_cache_add_multiple( array $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->add_multiple( $data, $group, (int) $expire );
}

/**
 * @see WP_Object_Cache::replace()
 * @param int|string $key    Key.
 * @param mixed      $data   Value.
 * @param string     $group  Group.
 * @param int        $expire Seconds.
 * @return bool
 */
function wp_cache_replace( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->replace( $key, $data, $group, (int) $expire );
}

/**
 * @see WP_Object_Cache::set()
 * @param int|string $key    Key.
 * @param mixed      $data   Value.
 * @param string     $group  Group.
 * @param int        $expire Seconds.
 * @return bool
 */
function wp_cache_set( $key, $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->set( $key, $data, $group, (int) $expire );
}

/**
 * @see WP_Object_Cache::set_multiple()
 * @param array  $data   Key => value.
 * @param string $group  Group.
 * @param int    $expire Seconds.
 * @return bool[]
 */
function wp_cache_set_multiple( array $data, $group = '', $expire = 0 ) {
	return $GLOBALS['wp_object_cache']->set_multiple( $data, $group, (int) $expire );
}

/**
 * @see WP_Object_Cache::get()
 * @param int|string $key   Key.
 * @param string     $group Group.
 * @param bool       $force Skip this request's copy.
 * @param bool|null  $found Whether it was found.
 * @return mixed|false
 */
function wp_cache_get( $key, $group = '', $force = false, &$found = null ) {
	return $GLOBALS['wp_object_cache']->get( $key, $group, $force, $found );
}

/**
 * @see WP_Object_Cache::get_multiple()
 * @param array  $keys  Keys.
 * @param string $group Group.
 * @param bool   $force Skip this request's copy.
 * @return array
 */
function wp_cache_get_multiple( $keys, $group = '', $force = false ) {
	return $GLOBALS['wp_object_cache']->get_multiple( $keys, $group, $force );
}

/**
 * @see WP_Object_Cache::delete()
 * @param int|string $key   Key.
 * @param string     $group Group.
 * @return bool
 */
function wp_cache_delete( $key, $group = '' ) {
	return $GLOBALS['wp_object_cache']->delete( $key, $group );
}

/**
 * @see WP_Object_Cache::delete_multiple()
 * @param array  $keys  Keys.
 * @param string $group Group.
 * @return bool[]
 */
function wp_cache_delete_multiple( array $keys, $group = '' ) {
	return $GLOBALS['wp_object_cache']->delete_multiple( $keys, $group );
}

/**
 * @see WP_Object_Cache::incr()
 * @param int|string $key    Key.
 * @param int        $offset Amount.
 * @param string     $group  Group.
 * @return int|false
 */
function wp_cache_incr( $key, $offset = 1, $group = '' ) {
	return $GLOBALS['wp_object_cache']->incr( $key, $offset, $group );
}

/**
 * @see WP_Object_Cache::decr()
 * @param int|string $key    Key.
 * @param int        $offset Amount.
 * @param string     $group  Group.
 * @return int|false
 */
function wp_cache_decr( $key, $offset = 1, $group = '' ) {
	return $GLOBALS['wp_object_cache']->decr( $key, $offset, $group );
}

/**
 * @see WP_Object_Cache::flush()
 * @return bool
 */
function wp_cache_flush() {
	return $GLOBALS['wp_object_cache']->flush();
}

/**
 * @see WP_Object_Cache::flush_runtime()
 * @return bool
 */
function wp_cache_flush_runtime() {
	return $GLOBALS['wp_object_cache']->flush_runtime();
}

/**
 * @see WP_Object_Cache::flush_group()
 * @param string $group Group.
 * @return bool
 */
function wp_cache_flush_group( $group ) {
	return $GLOBALS['wp_object_cache']->flush_group( $group );
}

/**
 * Which optional features this cache supports (WordPress 6.1+).
 *
 * @param string $feature add_multiple, set_multiple, get_multiple, delete_multiple, flush_runtime, flush_group.
 * @return bool
 */
function wp_cache_supports( $feature ) {
	return in_array( $feature, array( 'add_multiple', 'set_multiple', 'get_multiple', 'delete_multiple', 'flush_runtime', 'flush_group' ), true );
}

/**
 * @see WP_Object_Cache::close()
 * @return bool
 */
function wp_cache_close() {
	return $GLOBALS['wp_object_cache']->close();
}

/**
 * @see WP_Object_Cache::add_global_groups()
 * @param string|string[] $groups Groups.
 */
function wp_cache_add_global_groups( $groups ) {
	$GLOBALS['wp_object_cache']->add_global_groups( $groups );
}

/**
 * @see WP_Object_Cache::add_non_persistent_groups()
 * @param string|string[] $groups Groups.
 */
function wp_cache_add_non_persistent_groups( $groups ) {
	$GLOBALS['wp_object_cache']->add_non_persistent_groups( $groups );
}

/**
 * @see WP_Object_Cache::switch_to_blog()
 * @param int $blog_id Blog id.
 */
function wp_cache_switch_to_blog( $blog_id ) {
	$GLOBALS['wp_object_cache']->switch_to_blog( $blog_id );
}

/**
 * Deprecated since WordPress 3.5 (use wp_cache_switch_to_blog()); kept for old callers.
 */
function wp_cache_reset() {
	$GLOBALS['wp_object_cache']->flush_runtime();
}
