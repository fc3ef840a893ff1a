/*
 * idmap-mount: idmapped bind mounts for --userns=auto, then exec. Node has no mount_setattr(2)
 * and util-linux before 2.39 no X-mount.idmap, so this is the one piece of undocker in C.
 *
 *   idmap-mount REPORT_FD START COUNT SOURCE TARGET [SOURCE TARGET]... -- PROGRAM [ARG]...
 *
 * Each SOURCE is mounted at TARGET (in the caller's mount namespace, made private by unshare(1))
 * so that a file owned by n on disk shows as owned by START + n, for n < COUNT: the container's
 * user namespace maps START + n back to n, so the image's owners are what the container sees
 * and what it writes lands on disk with the container's own ids. The cached tree never changes.
 * Disk id COUNT shows as host root: overlayfs makes its work files as the root that mounted it,
 * which needs an id on disk (they live in the overlay's work folder only).
 *
 * A failure is one line on REPORT_FD (undocker's pipe for what went wrong before the runtime
 * started; stderr if that fd cannot be written), and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mount.h>
#include "report.h"

static unsigned long parse_id(const char *text, const char *what) {
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || *text == '\0' || value == 0 || value >= UINT_MAX)
    fail("%s %s is not a positive id", what, text);
  return value;
}

/*
 * user_namespace returns an fd of a new user namespace with the mapping above: a child unshares
 * one and waits while this process (root in the parent namespace) writes its maps; the fd keeps
 * the namespace after the child exits.
 */
static int user_namespace(unsigned long start, unsigned long count) {
  int ready[2], hold[2];
  if (pipe(ready) != 0 || pipe(hold) != 0) fail("pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child < 0) fail("fork: %s", strerror(errno));
  if (child == 0) {
    char byte = 0;
    close(ready[0]);
    close(hold[1]);
    if (unshare(CLONE_NEWUSER) != 0) _exit(1);
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    // Returns at EOF, when the parent has opened the namespace and closed its end.
    if (read(hold[0], &byte, 1) < 0) _exit(1);
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  char byte;
  if (read(ready[0], &byte, 1) != 1) fail("cannot make a user namespace (unshare: is user.max_user_namespaces 0?)");
  char map[128], path[64];
  snprintf(map, sizeof map, "0 %lu %lu\n%lu 0 1\n", start, count, count);
  const char *files[] = {"uid_map", "gid_map"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", (int)child, files[i]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map)) fail("write %s: %s", path, strerror(errno));
    close(fd);
  }
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) fail("open %s: %s", path, strerror(errno));
  close(hold[1]);
  waitpid(child, NULL, 0);
  return ns;
}

static void idmap(const char *source, const char *target, int ns) {
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) {
    if (errno == ENOSYS) fail("this kernel has no idmapped mounts: Linux 5.12 or later has them");
    fail("cannot open %s: %s", source, strerror(errno));
  }
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)ns};
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    // EINVAL: the file system has no idmapping (ext4, xfs, btrfs and tmpfs have it, overlayfs does not).
    if (errno == EINVAL) fail("the file system of %s cannot be idmapped: keep UNDOCKER_CACHE on ext4, xfs or btrfs", source);
    fail("cannot idmap %s: %s", source, strerror(errno));
  }
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
    fail("cannot mount %s at %s: %s", source, target, strerror(errno));
  close(tree);
}

int main(int argc, char **argv) {
  if (argc > 1) report_fd = atoi(argv[1]);
  int separator = 4;
  while (separator < argc && strcmp(argv[separator], "--") != 0) separator++;
  if (argc < 5 || separator >= argc - 1 || (separator - 4) % 2 != 0)
    fail("usage: idmap-mount REPORT_FD START COUNT SOURCE TARGET [SOURCE TARGET]... -- PROGRAM [ARG]...");
  unsigned long start = parse_id(argv[2], "START");
  unsigned long count = parse_id(argv[3], "COUNT");
  if (start > UINT_MAX - count) fail("START %lu + COUNT %lu is past the last id", start, count);
  int ns = user_namespace(start, count);
  for (int i = 4; i < separator; i += 2) idmap(argv[i], argv[i + 1], ns);
  close(ns);
  execvp(argv[separator + 1], argv + separator + 1);
  fail("cannot run %s: %s", argv[separator + 1], strerror(errno));
}
