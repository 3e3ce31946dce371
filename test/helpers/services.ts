/**
 * Real Redis and nginx for tests, from Debian's packages (started by scripts/services.mjs, shared with
 * the scale benchmark). Locally a missing binary skips the tests that need it, with a message saying
 * how to install it; under CI it fails them, since `.ci/run` installs both.
 */
export {
  freePort,
  NGINX_BIN,
  REDIS_BIN,
  type RunningNginx,
  type RunningRedis,
  renderNginxConf,
  startNginx,
  startRedis,
} from '../../scripts/services.mjs';

/**
 * For `describe.skipIf(...)`: true, saying `why`, when something a test needs is `absent` here and this
 * is not CI. Under CI it is false: the test runs and fails on what is missing, never a silent skip.
 */
export function skipOutsideCi(absent: boolean, why: string): boolean {
  if (!absent || process.env.CI) return false;
  console.warn(`skipping: ${why}`);
  return true;
}

/** For `describe.skipIf(...)`: true when the binary is missing here and this is not CI. */
export function missing(bin: string | undefined, install: string): boolean {
  return skipOutsideCi(!bin, `${install} is not installed (apt-get install ${install})`);
}
