/*
 * Holds one process at one instant of making a database file, until the test lets it go. Loaded with LD_PRELOAD
 * into a `reliability` process by DuckDbCreationRaceTests; it only waits: every call then goes on to the real
 * function, so DuckDB's own code runs unchanged.
 *
 *   RH_HOLD_PATH  the database file, as an absolute path. A file counts when its name is that path, or that path
 *                 followed by '.' and more (a name made beside it to become it), but not its WAL (path.wal).
 *   RH_HOLD_AT    create: before the first open(…, O_CREAT) of such a file (DuckDB found no database and is about
 *                 to make one); lock: before the first fcntl write lock on such a file (the file exists, empty, and
 *                 nobody holds it).
 *   RH_HOLD_DIR   a folder: the process creates RH_HOLD_DIR/reached when it stops there, and goes on once
 *                 RH_HOLD_DIR/go exists (or after 120 s, so a test that forgot it cannot hang the process).
 *
 * Built by the test with `cc -shared -fPIC`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int held;

static int is_the_file(const char *path)
{
    const char *target = getenv("RH_HOLD_PATH");
    if (target == NULL || path == NULL) {
        return 0;
    }
    size_t length = strlen(target);
    if (strncmp(path, target, length) != 0) {
        return 0;
    }
    return path[length] == '\0' || (path[length] == '.' && strcmp(path + length, ".wal") != 0);
}

static void hold(const char *instant)
{
    const char *wanted = getenv("RH_HOLD_AT");
    const char *folder = getenv("RH_HOLD_DIR");
    if (wanted == NULL || folder == NULL || strcmp(wanted, instant) != 0 || __sync_lock_test_and_set(&held, 1)) {
        return;
    }
    char reached[PATH_MAX], go[PATH_MAX];
    snprintf(reached, sizeof reached, "%s/reached", folder);
    snprintf(go, sizeof go, "%s/go", folder);
    /* The raw system call: open() itself is wrapped below. */
    int marker = (int)syscall(SYS_openat, AT_FDCWD, reached, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (marker >= 0) {
        close(marker);
    }
    struct timespec tick = {0, 2 * 1000 * 1000};
    for (int waited = 0; waited < 60000 && access(go, F_OK) != 0; waited++) {
        nanosleep(&tick, NULL);
    }
}

static int wants_mode(int flags)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

#define WRAP_OPEN(name)                                                                  \
    int name(const char *path, int flags, ...)                                           \
    {                                                                                    \
        mode_t mode = 0;                                                                 \
        if (wants_mode(flags)) {                                                         \
            va_list args;                                                                \
            va_start(args, flags);                                                       \
            mode = va_arg(args, mode_t);                                                 \
            va_end(args);                                                                \
        }                                                                                \
        if ((flags & O_CREAT) != 0 && is_the_file(path)) {                               \
            hold("create");                                                              \
        }                                                                                \
        int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, #name);                   \
        return real(path, flags, mode);                                                  \
    }

WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name)                                                                \
    int name(int directory, const char *path, int flags, ...)                            \
    {                                                                                    \
        mode_t mode = 0;                                                                 \
        if (wants_mode(flags)) {                                                         \
            va_list args;                                                                \
            va_start(args, flags);                                                       \
            mode = va_arg(args, mode_t);                                                 \
            va_end(args);                                                                \
        }                                                                                \
        if ((flags & O_CREAT) != 0 && is_the_file(path)) {                               \
            hold("create");                                                              \
        }                                                                                \
        int (*real)(int, const char *, int, ...) = dlsym(RTLD_NEXT, #name);              \
        return real(directory, path, flags, mode);                                       \
    }

WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

static void hold_if_write_lock(int descriptor, int command, void *argument)
{
    if (command != F_SETLK && command != F_SETLKW && command != F_OFD_SETLK && command != F_OFD_SETLKW) {
        return;
    }
    const struct flock *lock = argument;
    if (lock == NULL || lock->l_type != F_WRLCK) {
        return;
    }
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", descriptor);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) {
        return;
    }
    path[length] = '\0';
    if (is_the_file(path)) {
        hold("lock");
    }
}

/* The third argument is an int or a pointer; both travel in one register on the platforms this runs on. */
#define WRAP_FCNTL(name)                                                                 \
    int name(int descriptor, int command, ...)                                           \
    {                                                                                    \
        va_list args;                                                                    \
        va_start(args, command);                                                         \
        void *argument = va_arg(args, void *);                                           \
        va_end(args);                                                                    \
        hold_if_write_lock(descriptor, command, argument);                               \
        int (*real)(int, int, ...) = dlsym(RTLD_NEXT, #name);                            \
        return real(descriptor, command, argument);                                      \
    }

WRAP_FCNTL(fcntl)
WRAP_FCNTL(fcntl64)
