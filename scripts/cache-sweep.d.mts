export function alive(pid: number): boolean;
export function sweepDead(cache: string, pattern: RegExp): void;
