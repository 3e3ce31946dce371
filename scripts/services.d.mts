/** Types of scripts/services.mjs (for the TypeScript tests). */
export const REDIS_BIN: string | undefined;
export const NGINX_BIN: string | undefined;
export function requireBin(bin: string | undefined, install: string): string;
export function freePort(): Promise<number>;
export function waitForPort(port: number, ms?: number): Promise<void>;
export interface RunningRedis {
  url: string;
  port: number;
  /** SIGKILL: Redis vanishes mid-run. */
  kill(): void;
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}
export function startRedis(): Promise<RunningRedis>;
export interface RunningNginx {
  url: string;
  port: number;
  stop(): Promise<void>;
}
export const SHIPPED_PORTS: readonly number[];
export function renderNginxConf(upstreams: number[], listen: number, template?: string): string;
export function startNginx(instances: number[]): Promise<RunningNginx>;
