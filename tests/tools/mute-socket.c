/*
 * A libvirt daemon that hangs: listens on a unix socket, never accepts,
 * never answers, and goes away after the given seconds. Clients connect
 * (the kernel queues them) and then wait for a reply that never comes.
 * Usage: mute-socket PATH SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

int
main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned long long secs;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path) ||
	    parse_uint(argv[2], 10, 1, 3600, &secs) < 0) {
		fprintf(stderr, "usage: mute-socket PATH SECONDS\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		perror("mute-socket");
		return 1;
	}
	(void)sleep(secs);
	(void)unlink(argv[1]);
	return 0;
}
