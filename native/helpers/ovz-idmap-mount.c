/*
 * ovz-idmap-mount <source> <target> <hostid> <count>
 *
 * Mounts <source> at <target> as an idmapped bind mount (ids 0..count-1 seen through it are host ids
 * hostid..hostid+count-1 on disk), suid allowed, nodev. The engine needs it for CRIU restores: LXC 5's
 * lxc-checkpoint -r bind-mounts the rootfs plainly and ignores lxc.rootfs.options = idmap=container,
 * so the gate itself (native/src/gate.ts) must already be idmapped; a bind of an idmapped mount keeps
 * its mapping. util-linux 2.38 (Debian 12) has no X-mount.idmap, hence this small helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "ovz-idmap-mount: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: ovz-idmap-mount <source> <target> <hostid> <count>\n");
    return 2;
  }
  unsigned long hostid = strtoul(argv[3], NULL, 10), count = strtoul(argv[4], NULL, 10);
  if (!count) return 2;

  /* a throwaway user namespace with the container's mapping: a child unshares and waits */
  int go[2];
  if (pipe2(go, O_CLOEXEC)) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char c;
    if (unshare(CLONE_NEWUSER)) _exit(1);
    close(go[1]);
    (void)!read(go[0], &c, 1); /* until the parent closed its end */
    _exit(0);
  }
  close(go[0]);
  char path[64], map[128];
  snprintf(map, sizeof map, "0 %lu %lu\n", hostid, count);
  /* wait for the child's unshare: its user namespace differs from ours */
  char self[64], other[64];
  for (int i = 0; i < 1000; i++) {
    snprintf(path, sizeof path, "/proc/%d/ns/user", child);
    ssize_t a = readlink("/proc/self/ns/user", self, sizeof self - 1), b = readlink(path, other, sizeof other - 1);
    if (a > 0 && b > 0 && (a != b || memcmp(self, other, a))) break;
    usleep(1000);
  }
  snprintf(path, sizeof path, "/proc/%d/uid_map", child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  int userns = open(path, O_RDONLY | O_CLOEXEC);
  if (userns < 0) die(path);
  close(go[1]);
  waitpid(child, NULL, 0);

  int tree = syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) die("open_tree");
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV,
      .attr_clr = MOUNT_ATTR_NOSUID,
      .userns_fd = (unsigned long long)userns,
  };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr)) die("mount_setattr");
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[2], MOVE_MOUNT_F_EMPTY_PATH)) die("move_mount");
  return 0;
}
