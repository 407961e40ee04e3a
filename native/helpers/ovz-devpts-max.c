/*
 * ovz-devpts-max PID MAX: sets the PTY limit of a running container: remounts the devpts instance at
 * /dev/pts in the mount namespace of PID (the container's init) with max=MAX. Only max= is passed, so
 * the instance's other options stay; the mount's flags (nosuid, noexec, atime) are read first and kept.
 * A host tool started with nsenter -m would look its binary up in the container's files, and the
 * container's own mount would pass the instance's options back (gid= in host ids: EINVAL), hence this
 * small helper. Nothing of the container is executed.
 * Build: gcc -O2 -Wall -Werror -o /usr/local/lib/ovz/ovz-devpts-max native/helpers/ovz-devpts-max.c
 * (install-criu.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int die(const char *what) {
  fprintf(stderr, "ovz-devpts-max: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: ovz-devpts-max PID MAX\n");
    return 2;
  }
  char *end;
  long pid = strtol(argv[1], &end, 10);
  if (*end || pid <= 0) { fprintf(stderr, "ovz-devpts-max: bad pid %s\n", argv[1]); return 2; }
  long max = strtol(argv[2], &end, 10);
  if (*end || max <= 0 || max > 1048576) { fprintf(stderr, "ovz-devpts-max: bad max %s\n", argv[2]); return 2; }
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/ns/mnt", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return die(path);
  /* the namespace's root and cwd become ours: "/dev/pts" below is the container's */
  if (setns(fd, CLONE_NEWNS) < 0) return die("setns");
  struct statvfs st;
  if (statvfs("/dev/pts", &st) < 0) return die("statvfs /dev/pts");
  unsigned long flags = MS_REMOUNT;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  char opt[32];
  snprintf(opt, sizeof opt, "max=%ld", max);
  if (mount("devpts", "/dev/pts", "devpts", flags, opt) < 0) return die("remount /dev/pts");
  return 0;
}
