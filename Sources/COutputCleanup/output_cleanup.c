#define _GNU_SOURCE
#include "output_cleanup.h"
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

// A fixed table, so the handler walks it without allocating or locking. A slot is claimed with a
// compare-and-swap from NULL; the handler reads it with one atomic load. Each string starts with 'd' (a
// folder) or 'f' (a file), followed by the path, so kind and path are published together.
#define SLOT_COUNT 1024

static _Atomic(char *) paths[SLOT_COUNT];
// Set by the handler: strings are then never freed, since the handler may be reading them on another thread.
static atomic_int removing;

static const int handled[] = {SIGINT, SIGTERM, SIGHUP};

static void remove_registered(void) {
    for (int i = SLOT_COUNT - 1; i >= 0; i--) {
        char *entry = atomic_load(&paths[i]);
        if (entry != NULL && entry[0] == 'f') unlink(entry + 1);
    }
    // Folders last, newest first (a folder registered inside another goes before it); a second pass
    // catches any order the first missed.
    for (int pass = 0; pass < 2; pass++) {
        for (int i = SLOT_COUNT - 1; i >= 0; i--) {
            char *entry = atomic_load(&paths[i]);
            if (entry != NULL && entry[0] == 'd') rmdir(entry + 1);
        }
    }
}

static void handle(int number) {
    int saved = errno;
    atomic_store(&removing, 1);
    remove_registered();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(number, &action, NULL);
    errno = saved;
    // The signal is blocked while its handler runs; it is delivered, with the default action, on return.
    raise(number);
}

static void install_where_default(void) {
    for (size_t k = 0; k < sizeof handled / sizeof handled[0]; k++) {
        struct sigaction current;
        if (sigaction(handled[k], NULL, &current) != 0) continue;
        if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = handle;
        sigemptyset(&action.sa_mask);
        for (size_t j = 0; j < sizeof handled / sizeof handled[0]; j++) sigaddset(&action.sa_mask, handled[j]);
        action.sa_flags = SA_RESTART;
        sigaction(handled[k], &action, NULL);
    }
}

int visag_output_cleanup_register(const char *path, int is_directory) {
    install_where_default();
    size_t length = strlen(path);
    char *copy = malloc(length + 2);
    if (copy == NULL) return -1;
    copy[0] = is_directory ? 'd' : 'f';
    memcpy(copy + 1, path, length + 1);
    for (int i = 0; i < SLOT_COUNT; i++) {
        char *expected = NULL;
        if (atomic_load(&paths[i]) != NULL) continue;
        if (atomic_compare_exchange_strong(&paths[i], &expected, copy)) return i;
    }
    free(copy);
    return -1;
}

void visag_output_cleanup_forget(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) return;
    char *path = atomic_exchange(&paths[slot], NULL);
    if (path != NULL && !atomic_load(&removing)) free(path);
}

void visag_output_cleanup_remove_all(void) {
    atomic_store(&removing, 1);
    remove_registered();
    for (int i = 0; i < SLOT_COUNT; i++) atomic_store(&paths[i], NULL);
}

int visag_output_cleanup_count(void) {
    int count = 0;
    for (int i = 0; i < SLOT_COUNT; i++) count += atomic_load(&paths[i]) != NULL;
    return count;
}

int visag_exchange_paths(const char *first, const char *second) {
#if defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, 2 /* RENAME_EXCHANGE */);
#else
    errno = ENOSYS;
    return -1;
#endif
}
