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

/** For `describe.skipIf(...)`: true when the binary is missing here and this is not CI. */
export function missing(bin: string | undefined, install: string): boolean {
  if (bin) return false;
  if (process.env.CI) return false; // CI must run these tests: they fail when starting the service instead
  console.warn(`skipping: ${install} is not installed (apt-get install ${install})`);
  return true;
}
