/**
 * A folder or file the command must write and cannot (a data directory under /proc, read-only,
 * a dangling link; a log file that is a folder): main says it on one line and ends the process
 * with status 1.
 */
export class UnwritableFolderError extends Error {}
