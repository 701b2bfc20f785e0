#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int
parse_uint(const char *s, int base, unsigned long long min,
    unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	/* strtoull() would accept "", " 1", "-1", "+1" and "0x1". */
	if (base == 10 ? !isdigit((unsigned char)s[0]) :
	    !isxdigit((unsigned char)s[0]))
		return -EINVAL;
	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

bool
serial_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] <= ' ' || s[n] >= 0x7f)
			return false;
	return n >= 1 && n <= SERIAL_MAX;
}

const char *
str_visible(const char *s, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	size_t o = 0;

	for (i = 0; i < len && i < VISIBLE_MAX && o + 5 < size; i++) {
		unsigned char c = s[i];

		if (c < ' ' || c >= 0x7f || c == '\'' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else {
			buf[o++] = c;
		}
	}
	if (i < len && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int
read_fd(int fd, size_t hint, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = hint < 4096 ? 4096 : hint > max ? max : hint;
	size_t len = 0;

	buf = malloc(cap + 1);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (len == cap) {
			char *p;

			if (cap > max)
				return -EFBIG;
			/* One byte past max tells "too big" from "exactly max". */
			cap = cap > max / 2 ? max + 1 : cap * 2;
			p = realloc(buf, cap + 1);
			if (p == NULL)
				return -ENOMEM;
			buf = p;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += k;
	}
	if (len > max)
		return -EFBIG;
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

void
closep(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
	errno = saved;
}

int
read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return read_fd(fd, st.st_size, max, ret_buf, ret_len);
}

/* The slots greedy_grow() keeps for k in use; 0 when it would overflow. */
static size_t
array_capacity(size_t k)
{
	size_t c = 8;

	if (k == 0)
		return 0;
	while (c < k) {
		if (c > SIZE_MAX / 2)
			return 0;
		c *= 2;
	}
	return c;
}

int
greedy_grow(void *p, size_t n, size_t extra, size_t size)
{
	size_t have = n == 0 ? 0 : array_capacity(n + extra);
	size_t want;
	void *old;
	void *v;

	if (n > SIZE_MAX - 1 - extra)
		return -ENOMEM;
	want = array_capacity(n + 1 + extra);
	if (want == 0)
		return -ENOMEM;
	if (want == have)
		return 0;
	/* p points at a T *, not a void *: copied, not cast. */
	memcpy(&old, p, sizeof(old));
	v = reallocarray(old, want, size);
	if (v == NULL)
		return -ENOMEM;
	memcpy(p, &v, sizeof(v));
	return 0;
}

int
strv_consume(struct strv *l, char *s)
{
	_cleanup_free_ char *p = s;

	if (p == NULL || GREEDY_GROW_EXTRA(l->v, l->n, 1) < 0)
		return -ENOMEM;
	l->v[l->n++] = TAKE_PTR(p);
	l->v[l->n] = NULL;
	return 0;
}

int
strv_push(struct strv *l, const char *s)
{
	return strv_consume(l, strdup(s));
}

bool
strv_contains(const struct strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
strv_done(struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

typedef int (*cmp_fn)(const void *, const void *);

static int
ptr_order(const void *x, const void *y, void *userdata)
{
	const cmp_fn *cmp = userdata;
	uintptr_t a = (uintptr_t)*(const void *const *)x;
	uintptr_t b = (uintptr_t)*(const void *const *)y;

	return (*cmp)(x, y) ?: (a < b ? -1 : a > b);
}

void
sort_ptrs(void *v, size_t n, cmp_fn cmp)
{
	if (n > 1)
		qsort_r(v, n, sizeof(void *), ptr_order, &cmp);
}

size_t
lower_bound(const void *base, size_t n, size_t size, const void *key,
    cmp_fn cmp)
{
	size_t lo = 0;

	while (n > 0) {
		size_t half = n / 2;

		if (cmp((const char *)base + (lo + half) * size, key) < 0) {
			lo += half + 1;
			n -= half + 1;
		} else
			n = half;
	}
	return lo;
}

int
strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
strdup_null(const char *s, char **ret)
{
	*ret = NULL;
	if (s == NULL)
		return 0;
	*ret = strdup(s);
	return *ret == NULL ? -ENOMEM : 0;
}
