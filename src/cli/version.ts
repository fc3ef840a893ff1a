/** VERSION is the version the CLI reports and writes into generated files. */
export const VERSION = '0.1.0';
