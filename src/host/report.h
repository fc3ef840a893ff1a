/*
 * How undocker's C helpers fail: one line on report_fd (undocker's pipe for what went wrong
 * before the runtime started; stderr if that fd cannot be written), and exit status 1.
 * Each helper is one file that includes this once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int report_fd = 2;

static void fail(const char *format, ...) {
  char line[4096];
  va_list args;
  va_start(args, format);
  int length = vsnprintf(line, sizeof line - 1, format, args);
  va_end(args);
  if (length < 0) length = 0;
  if (length > (int)sizeof line - 2) length = sizeof line - 2;
  line[length++] = '\n';
  if (write(report_fd, line, length) != length && report_fd != 2 && write(2, line, length) < 0) exit(1);
  exit(1);
}
