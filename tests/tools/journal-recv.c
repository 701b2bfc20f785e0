/*
 * A journal for one command: binds a datagram socket where journald's
 * would be, runs the command, and writes every entry the command sent in
 * the journal's native protocol (systemd's JOURNAL_NATIVE_PROTOCOL.md)
 * to OUTPUT, decoded: each field as KEY=value on a line, a newline or a
 * backslash in a value written \n or \\, and an empty line after each
 * entry. A datagram that does not parse is written as "!malformed".
 * Entries too big for a datagram come as a memfd (SCM_RIGHTS), read the
 * same way. Exits with the command's status (128+N for a signal).
 * Usage: journal-recv SOCKET OUTPUT COMMAND [ARG...]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATAGRAM_MAX (1u << 20)

static void
put_value(FILE *out, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\n')
			fputs("\\n", out);
		else if (v[i] == '\\')
			fputs("\\\\", out);
		else
			fputc(v[i], out);
	}
}

/* One field at p[0..n): "KEY=value\n", or "KEY\n" + le64 length + value + "\n". Returns its length, or 0. */
static size_t
put_field(FILE *out, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	const char *eq = memchr(p, '=', n);
	uint64_t len = 0;
	size_t k;

	if (nl == NULL)
		return 0;
	if (eq != NULL && eq < nl) {
		fwrite(p, 1, eq + 1 - p, out);
		put_value(out, eq + 1, nl - eq - 1);
		fputc('\n', out);
		return nl + 1 - p;
	}
	k = nl + 1 - p;
	if (n - k < 8)
		return 0;
	for (int i = 7; i >= 0; i--)
		len = len << 8 | (unsigned char)p[k + i];
	if (len >= n - k - 8 || p[k + 8 + len] != '\n')
		return 0;
	fwrite(p, 1, nl - p, out);
	fputc('=', out);
	put_value(out, p + k + 8, len);
	fputc('\n', out);
	return k + 8 + len + 1;
}

static void
put_entry(FILE *out, const char *p, size_t n)
{
	while (n > 0) {
		size_t k = put_field(out, p, n);

		if (k == 0) {
			fputs("!malformed\n", out);
			break;
		}
		p += k;
		n -= k;
	}
	fputc('\n', out);
	fflush(out);
}

/* Reads an entry passed as a memfd. */
static void
put_fd_entry(FILE *out, int fd, char *buf)
{
	ssize_t n = pread(fd, buf, DATAGRAM_MAX, 0);

	if (n < 0)
		fputs("!malformed\n\n", out);
	else
		put_entry(out, buf, n);
	close(fd);
}

/* Takes one datagram. Returns 1, 0 when none is waiting, or -1. */
static int
take(int sock, FILE *out, char *buf, int flags)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { buf, DATAGRAM_MAX };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &c, .msg_controllen = sizeof(c),
	};
	struct cmsghdr *h;
	ssize_t n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	h = CMSG_FIRSTHDR(&m);
	if (h != NULL && h->cmsg_level == SOL_SOCKET &&
	    h->cmsg_type == SCM_RIGHTS) {
		int fd;

		memcpy(&fd, CMSG_DATA(h), sizeof(fd));
		put_fd_entry(out, fd, buf);
	} else
		put_entry(out, buf, n);
	return 1;
}

static int
bind_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Collects datagrams until the child is gone, then those still queued. */
static int
collect(int sock, pid_t pid, FILE *out, char *buf)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p[2] = { { sock, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
	int status;

	if (pidfd < 0)
		return -1;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -1;
		if ((p[0].revents & POLLIN) && take(sock, out, buf, 0) < 0)
			return -1;
		if (p[1].revents & POLLIN)
			break;
	}
	while (take(sock, out, buf, MSG_DONTWAIT) > 0)
		;
	close(pidfd);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

int
main(int argc, char *argv[])
{
	static char buf[DATAGRAM_MAX];
	FILE *out;
	int sock;
	pid_t pid;
	int r;

	if (argc < 4) {
		fprintf(stderr, "usage: journal-recv SOCKET OUTPUT COMMAND [ARG...]\n");
		return 2;
	}
	sock = bind_socket(argv[1]);
	out = fopen(argv[2], "we");
	if (sock < 0 || out == NULL) {
		perror("journal-recv");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("journal-recv: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror("journal-recv: exec");
		_exit(127);
	}
	r = collect(sock, pid, out, buf);
	(void)unlink(argv[1]);
	if (r < 0) {
		perror("journal-recv");
		return 2;
	}
	return fclose(out) == 0 ? r : 2;
}
