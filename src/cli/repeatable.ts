/**
 * Repeatable options (-e, -v, --tmpfs, --cap-add …): commander calls `collect` for each one
 * given, and the values arrive in order, as docker's repeated flags do.
 */

/** collect appends one more value of a repeatable option; start it with `[]`. */
export const collect = (value: string, all: string[]): string[] => [...all, value];
