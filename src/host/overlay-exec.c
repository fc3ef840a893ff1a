/*
 * overlay-exec: an overlay mounted in a mount namespace of its own, then exec of what uses it (a
 * run's runtime, or the `cat` that holds an image's view). It does what `unshare --mount
 * --propagation private sh -c 'cd DIR && mount -t overlay …; exec …'` did, in one small process
 * where there were three programs and a fork: ~9 ms less before every warm run starts.
 *
 *   overlay-exec REPORT_FD DIR OPTIONS TARGET -- PROGRAM [ARG]...
 *
 * The overlay (OPTIONS as mount(8) -o takes them, their paths relative to DIR, which keeps many
 * layers within the one page the options may fill) is mounted at TARGET in a new mount namespace
 * whose mounts are private, so it lives exactly as long as the runtime and nothing stays mounted
 * when undocker is killed. PROGRAM then runs in the caller's folder with REPORT_FD closed.
 *
 * A failure is one line on REPORT_FD (undocker's pipe for what went wrong before the runtime
 * started; stderr if that fd cannot be written), and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "report.h"

int main(int argc, char **argv) {
  if (argc > 1 && atoi(argv[1]) > 2) report_fd = atoi(argv[1]);
  if (argc < 7 || strcmp(argv[5], "--") != 0)
    fail("usage: overlay-exec REPORT_FD DIR OPTIONS TARGET -- PROGRAM [ARG]...");
  const char *dir = argv[2], *options = argv[3], *target = argv[4];
  if (unshare(CLONE_NEWNS) != 0) fail("cannot make a mount namespace: %s", strerror(errno));
  // Else the overlay would show in the host's namespace too, where / is shared (systemd's default).
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("cannot make mounts private: %s", strerror(errno));
  int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (here < 0) fail("cannot open the current folder: %s", strerror(errno));
  if (chdir(dir) != 0) fail("cannot enter %s: %s", dir, strerror(errno));
  if (mount("overlay", target, "overlay", 0, options) != 0)
    fail("mount: cannot mount the overlay at %s: %s", target, strerror(errno));
  if (fchdir(here) != 0) fail("cannot return to the current folder: %s", strerror(errno));
  close(here);
  if (report_fd != 2) close(report_fd);
  execvp(argv[6], argv + 6);
  report_fd = 2;
  fail("cannot run %s: %s", argv[6], strerror(errno));
}
