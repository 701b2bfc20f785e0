#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit statuses of bbvirt and bbvirt-event, as bbvirt(1) documents them. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,       /* an action failed, libvirt or udev unreachable, timeout */
	EXIT_USAGE = 2,         /* usage or configuration error; nothing changed */
	EXIT_PENDING = 3,       /* --dry-run: changes are pending */
};

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

/* Hands ownership of *p to the caller and leaves NULL behind. */
#define TAKE_PTR(p)                                             \
	({                                                      \
		__typeof__(p) _take_ = (p);                     \
		(p) = NULL;                                     \
		_take_;                                         \
	})

/* Hands ownership of the descriptor fd to the caller and leaves -1 behind. */
#define TAKE_FD(fd)                                             \
	({                                                      \
		int _fd_ = (fd);                                \
		(fd) = -1;                                      \
		_fd_;                                           \
	})

/* Generates fnp(), which calls fn only for a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, fn)                   \
	static inline void fn##p(type *p)                       \
	{                                                       \
		if (*p != NULL)                                 \
			(void)fn(*p);                           \
	}

static inline void
freep(void *p)
{
	free(*(void **)p);
}

/* Frees p and returns NULL, for p = mfree(p). */
static inline void *
mfree(void *p)
{
	free(p);
	return NULL;
}

/* Closes *fd unless it is negative, keeping errno (systemd's safe_close()). */
void closep(int *fd);

static inline void
fclosep(FILE **f)
{
	if (*f != NULL)
		(void)fclose(*f);
}

/* Longest serial number accepted anywhere: USB string descriptors hold 126 UTF-16 units. */
#define SERIAL_MAX 126

/*
 * Parses s as an unsigned number in base 10 or 16, in [min, max]. Rejects
 * empty input, signs, leading spaces, a "0x" prefix and trailing junk.
 * Returns 0, -EINVAL for malformed input, or -ERANGE.
 */
int parse_uint(const char *s, int base, unsigned long long min,
    unsigned long long max, unsigned long long *ret);

/* True if s is 1..SERIAL_MAX printable ASCII characters without whitespace. */
bool serial_valid(const char *s);

/*
 * Writes s, cut to at most max bytes, into buf with control, non-ASCII and
 * quote characters shown as \xNN, for quoting user text in messages. The
 * result is always terminated; "..." marks a cut. Returns buf.
 */
const char *str_visible(const char *s, size_t len, char *buf, size_t size);
#define VISIBLE_MAX 64
#define VISIBLE_BUF (VISIBLE_MAX * 4 + 4)

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer. Returns 0, -EFBIG, or -errno from open/read. *ret_buf is the
 * caller's to free.
 */
int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len);

/* Reads fd to its end like read_file(); hint sizes the first buffer. */
int read_fd(int fd, size_t hint, size_t max, char **ret_buf, size_t *ret_len);

/* *ret = a copy of s, or NULL for NULL. Returns 0 or -ENOMEM (*ret NULL). */
int strdup_null(const char *s, char **ret);

/*
 * Makes room in the array p (a T *) of n elements for one element more,
 * and for extra slots after it (a terminator's) once it is not empty. The
 * element type comes from p, so no caller names a size. Its capacity
 * follows from n alone: none, then a power of two from 8, so adding n
 * elements one at a time costs O(n) in all; every growth of that array
 * must go through here, with the same extra. On failure p is untouched.
 * Returns 0 or -ENOMEM.
 */
#define GREEDY_GROW(p, n) greedy_grow(&(p), (n), 0, sizeof(*(p)))
#define GREEDY_GROW_EXTRA(p, n, extra) \
	greedy_grow(&(p), (n), (extra), sizeof(*(p)))

/*
 * Appends x to the array p of n elements and counts it in n; x is not
 * evaluated when growing fails. Returns 0 or -ENOMEM.
 */
#define GREEDY_APPEND(p, n, x)                                  \
	({                                                      \
		int _r_ = GREEDY_GROW(p, n);                    \
		if (_r_ >= 0)                                   \
			(p)[(n)++] = (x);                       \
		_r_;                                            \
	})

/* The function behind GREEDY_GROW(): p points at a T *, size is sizeof(T). */
int greedy_grow(void *p, size_t n, size_t extra, size_t size);

/*
 * Defines name_to_string(), the entry of name_table (a static const char
 * *const array indexed by an enum, its _MAX sentinel sizing it) for i, or
 * NULL out of range.
 */
#define DEFINE_STRING_TABLE_LOOKUP(name, type)                  \
	const char *name##_to_string(type i)                    \
	{                                                       \
		if ((size_t)i >= ARRAY_SIZE(name##_table))      \
			return NULL;                            \
		return name##_table[i];                         \
	}

/* Defines name_from_string(): the index of s in name_table, or -EINVAL. */
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name)            \
	int name##_from_string(const char *s)                   \
	{                                                       \
		for (size_t i = 0; i < ARRAY_SIZE(name##_table); i++) \
			if (name##_table[i] != NULL &&          \
			    strcmp(s, name##_table[i]) == 0)    \
				return (int)i;                  \
		return -EINVAL;                                 \
	}

/* A growable array of owned strings, always NULL-terminated once non-empty. */
struct strv {
	char **v;
	size_t n;
};

/* Appends a copy of s. Returns 0 or -ENOMEM. */
int strv_push(struct strv *l, const char *s);
/* Appends s itself, taking ownership (freed on failure). Returns 0 or -ENOMEM. */
int strv_consume(struct strv *l, char *s);
bool strv_contains(const struct strv *l, const char *s);
void strv_done(struct strv *l);

/*
 * Sorts n pointers into one array by cmp, which gets pointers to the
 * pointers; pointers that cmp finds equal end up in their targets' order
 * in that array, so the sort is stable for it.
 */
void sort_ptrs(void *v, size_t n, int (*cmp)(const void *, const void *));
/*
 * Binary search in n sorted elements of size bytes at base: the index of
 * the first one that cmp(element, key) does not put below key, n if none.
 */
size_t lower_bound(const void *base, size_t n, size_t size, const void *key,
    int (*cmp)(const void *, const void *));

/* strcmp() of two pointers to strings, for qsort() and bsearch() of string arrays. */
int strcmp_ptr(const void *a, const void *b);

/* Like strcmp(), but NULL sorts first and equals NULL. */
int strcmp_null(const char *a, const char *b);
static inline bool
streq_null(const char *a, const char *b)
{
	return strcmp_null(a, b) == 0;
}
