#ifndef VISAG_OUTPUT_CLEANUP_H
#define VISAG_OUTPUT_CLEANUP_H

/// Paths of temporary files and folders that the output writer has created and not yet renamed into place or
/// removed. SIGINT, SIGTERM and SIGHUP remove them (files first, then folders) and then end the process as the
/// signal would; the handler uses only async-signal-safe calls (unlink, rmdir, sigaction, raise).

/// Records `path` (copied) and returns its slot, or -1 if every slot is taken (the path is then not tracked).
/// Installs the signal handler for each of those signals whose disposition is the default one; a signal that
/// something else handles or ignores (a dispatch source) is left alone, and that code calls
/// `visag_output_cleanup_remove_all` itself.
int visag_output_cleanup_register(const char *path, int is_directory);

/// Forgets a slot (its path was renamed into place or removed). -1 is ignored.
void visag_output_cleanup_forget(int slot);

/// Removes every registered path now and forgets them (for signal paths that are not this handler).
void visag_output_cleanup_remove_all(void);

/// How many paths are registered (for tests).
int visag_output_cleanup_count(void);

/// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE): 0, or -1 with errno set (EINVAL or
/// ENOSYS where the file system or kernel cannot).
int visag_exchange_paths(const char *first, const char *second);

#endif
