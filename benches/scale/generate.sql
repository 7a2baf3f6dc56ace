-- Fills the plugin's tables of the scale benchmark's own database with synthetic history, in SQL
-- (INSERT ... SELECT from MariaDB's sequence tables), run by scripts/bench-scale.sh with the
-- mariadb client. Variables (set before this file is sourced): @grants, @refresh, @revoked, @now,
-- @aud (the site's REST API URL). Users are ids above 100000 that do not exist in wp_users: no
-- query of the bearer check, the token endpoint, revocation, introspection or the cleanup joins
-- wp_users (the site's real user is loaded by WordPress itself, by id).
--
-- Shape of the data (per grant g = 1 .. @grants, refresh rows spread over the grants):
--   grants          1 in 20 revoked (revoked_at 0..89 days ago: the older ones are past the 30-day
--                   retention), 1 in 100 expired 40 days ago, the rest active for 300 more days.
--   refresh_tokens  @refresh / @grants generations per grant, one day apart, every generation but
--                   the newest used (rotated); 1 in 50 rows expired two days ago (cleanup backlog).
--   revoked_tokens  1 in 10 expired an hour ago, the rest expire in an hour.
-- Bulk load: secondary indexes are dropped, the rows appended in primary-key order, and the
-- indexes rebuilt by sorting (the definitions are checked against the plugin's afterwards).
SET SESSION sql_log_bin = 0;
SET SESSION unique_checks = 0;
SET SESSION foreign_key_checks = 0;

SELECT COALESCE(MAX(id), 0) INTO @g0 FROM wp_oauth_grants;
ALTER TABLE wp_oauth_grants DROP KEY user_client, DROP KEY client_status, DROP KEY status_expires, DROP KEY expires_at, DROP KEY revoked_at;
SET @sql = CONCAT('INSERT INTO wp_oauth_grants (id, client_id, user_id, scope, audience, status, revoked_reason, auth_time, created_at, updated_at, expires_at, revoked_at, last_used_at) ',
  'SELECT @g0 + seq, CONCAT(''scale-client-'', seq % 1000), 100000 + seq, ''read write'', @aud, ',
  'IF(seq % 20 = 0, ''revoked'', ''active''), IF(seq % 20 = 0, ''user'', NULL), @now - 90 * 86400, @now - 90 * 86400, @now - 86400, ',
  'IF(seq % 100 = 1, @now - 40 * 86400, @now + 300 * 86400), IF(seq % 20 = 0, @now - (seq % 90) * 86400, NULL), @now - (seq % 86400) ',
  'FROM seq_1_to_', @grants);
PREPARE s FROM @sql; EXECUTE s; DEALLOCATE PREPARE s;
ALTER TABLE wp_oauth_grants ADD KEY user_client (user_id,client_id,status), ADD KEY client_status (client_id,status), ADD KEY status_expires (status,expires_at),
  ADD KEY expires_at (expires_at), ADD KEY revoked_at (revoked_at);

ALTER TABLE wp_oauth_refresh_tokens DROP KEY token_hash, DROP KEY grant_id, DROP KEY expires_at;
SET @gens = GREATEST(1, @refresh DIV @grants);
-- In chunks of at most 10^6 rows: one statement's undo and lock footprint stays small.
DROP PROCEDURE IF EXISTS wpoa_scale_refresh;
DELIMITER //
CREATE PROCEDURE wpoa_scale_refresh()
BEGIN
  DECLARE done BIGINT DEFAULT 0;
  DECLARE chunk BIGINT;
  WHILE done < @refresh DO
    SET chunk = LEAST(1000000, @refresh - done);
    SET @sql = CONCAT('INSERT INTO wp_oauth_refresh_tokens (token_hash, grant_id, client_id, scope, created_at, expires_at, used_at) ',
      'SELECT REPLACE(REPLACE(LEFT(TO_BASE64(UNHEX(SHA2(CONCAT(''scale-rt-'', n), 256))), 43), ''+'', ''-''), ''/'', ''_''), ',
      '@g0 + 1 + n % @grants, CONCAT(''scale-client-'', (1 + n % @grants) % 1000), ''read write'', ',
      '@now - (@gens - 1 - n DIV @grants) * 86400, ',
      'IF(n % 50 = 0, @now - 2 * 86400, @now + 300 * 86400), ',
      'IF(n DIV @grants < @gens - 1, @now - (@gens - 2 - n DIV @grants) * 86400, NULL) ',
      'FROM (SELECT seq - 1 + ', done, ' AS n FROM seq_1_to_', chunk, ') q');
    PREPARE s FROM @sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET done = done + chunk;
  END WHILE;
END//
DELIMITER ;
CALL wpoa_scale_refresh();
DROP PROCEDURE wpoa_scale_refresh;
ALTER TABLE wp_oauth_refresh_tokens ADD UNIQUE KEY token_hash (token_hash), ADD KEY grant_id (grant_id), ADD KEY expires_at (expires_at);

ALTER TABLE wp_oauth_revoked_tokens DROP KEY expires_at;
SET @sql = CONCAT('INSERT INTO wp_oauth_revoked_tokens (jti, grant_id, expires_at) ',
  'SELECT LEFT(SHA2(CONCAT(''scale-jti-'', seq), 256), 32), @g0 + 1 + (seq * 7) % @grants, IF(seq % 10 = 0, @now - 3600, @now + 3600) ',
  'FROM seq_1_to_', @revoked);
PREPARE s FROM @sql; EXECUTE s; DEALLOCATE PREPARE s;
ALTER TABLE wp_oauth_revoked_tokens ADD KEY expires_at (expires_at);
ANALYZE TABLE wp_oauth_grants, wp_oauth_refresh_tokens, wp_oauth_revoked_tokens;
