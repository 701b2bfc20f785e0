/*
 * Who holds a device node: the /proc scan that names a busy device's
 * host process. This process opens a file and must find itself; a file
 * nobody holds has no holder.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "udevsnap.h"
#include "util.h"

static void
test_proc_holder(void **state _unused_)
{
	char path[] = "/tmp/bbvirt-holder.XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);
	_cleanup_free_ char *got = NULL;
	_cleanup_free_ char *want = NULL;
	_cleanup_free_ char *comm = NULL;
	size_t len = 0;

	assert_true(fd >= 0);
	assert_int_equal(read_file("/proc/self/comm", 64, &comm, &len), 0);
	while (len > 0 && comm[len - 1] == '\n')
		comm[--len] = '\0';
	assert_true(asprintf(&want, "%s[%d]", comm, (int)getpid()) > 0);
	assert_int_equal(proc_holder(path, &got), 1);
	assert_string_equal(got, want);

	/* Closed, and gone: nobody holds it. */
	closep(&fd);
	free(got);
	got = NULL;
	assert_int_equal(proc_holder(path, &got), 0);
	assert_null(got);
	assert_int_equal(unlink(path), 0);
	/* A node no process has open. */
	assert_int_equal(usbfs_holder(255, 127, &got), 0);
	assert_null(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_holder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
