/*
 * The planner, exhaustively: present, absent, moved, foreign, adopted,
 * lent, shared and double-assigned devices, guests on two URIs and on
 * another host, every request form, alone and together. Each case is a
 * little world written as text and the plan (or status) it must give, as
 * text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apply.h"
#include "command.h"
#include "conf.h"
#include "domxml.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "status.h"
#include "udevsnap.h"
#include "util.h"
#include "virtconn.h"
#include "virtsnap.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define CONF(...) "[domain \"vm1\"]\n" __VA_ARGS__
#define TWO "[domain \"vm1\"]\nserials = A1\n[domain \"vm2\"]\nserials = B2\n"
/* vm1 on u1, vm2 on u2; and the same, for guests seen through both. */
/* vm1 has port 3-2, vm2 the type 1a86:7523 (a CH340 serial adapter). */
#define PORTS "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\ndevices = 1a86:7523\n"
#define TWO_URIS "[domain \"vm1\"]\nuri = u1\nserials = A1\n" \
	"[domain \"vm2\"]\nuri = u2\nserials = B2\n"

/*
 * A world, as text:
 * conns    "URI ..." in the order asked, "@URI" on another host; NULL: one
 *          local default URI
 * devices  "SERIAL@BUS:DEV/PORT ...", '-' for no serial, "=SERIAL" for one
 *          of the devices sharing a serial
 * guests   "[!]DOMAIN[/URI][=UUID][:HOSTDEV,...] ...": '!' shut off; the
 *          UUID defaults to one per DOMAIN/URI; HOSTDEV is ALIAS@BUS:DEV
 *          ('-': no alias; bus 0: by vendor:product, ALIAS@vVVVV:PPPP
 *          with those), '*' after it when it
 *          is live only (absent from the persistent definition)
 * request  "attach|detach DEVICE [-D DOMAIN] [-b BUS -d DEV]" or
 *          "attach-all|detach-all [DOMAIN]" or "release"; NULL: sync
 */
struct pcase {
	const char *name;
	const char *conf;       /* INI */
	const char *devices;
	const char *guests;
	const char *only;       /* sync DOMAIN..., blank-separated */
	const char *plan;       /* report_plan() text, then "refused: MESSAGE" lines */
	const char *conns;
	const char *request;
};

/* Cases leave the fields at their end out when they do not need them. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct pcase cases[] = {
	{ "nothing anywhere", "", "", "", NULL, "" },
	{ "missing: attach", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "converged: nothing", TWO, "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-B2@3:8", NULL, "" },
	{ "absent: detach", TWO, "", "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (absent)\n" },
	{ "readdressed: detach then attach", TWO, "A1@3:9/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (readdressed)\n"
	  "attach A1 3:9 port 3-2 to vm1 (missing)\n" },
	{ "reassigned: move between guests", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 vm2", NULL,
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "unassigned: detach", TWO, "C3@3:5/3-1", "vm1:ua-bbvirt-C3@3:5 vm2",
	  NULL, "detach C3 3:5 port 3-1 from vm1 (unassigned)\n" },
	{ "unassigned and absent", TWO, "", "vm1:ua-bbvirt-C3@3:5 vm2", NULL,
	  "detach C3 3:5 from vm1 (absent)\n" },
	{ "domain shut off: nothing", TWO, "A1@3:7/3-2", "!vm1 vm2", NULL, "" },
	{ "domain unknown to libvirt: nothing", TWO, "A1@3:7/3-2", "vm2", NULL,
	  "" },
	{ "reassigned to a shut-off domain: detach only", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 !vm2", NULL,
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n" },
	{ "foreign alias untouched", TWO, "A1@3:7/3-2",
	  "vm1:ua-admin@3:7 vm2", NULL, "" },
	{ "foreign alias at another address", TWO, "A1@3:7/3-2",
	  "vm2:ua-admin@1:2 vm1", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "vendor/product hostdev untouched", TWO, "", "vm1:-@0:0 vm2", NULL,
	  "" },
	{ "no alias at an unmanaged address untouched", TWO, "A1@3:7/3-2",
	  "vm2:-@1:2* vm1", NULL, "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	/* Adoption: no alias of ours, address only, live only, configured serial. */
	{ "adopted in place", TWO, "A1@3:7/3-2", "vm1:-@3:7* vm2", NULL, "" },
	{ "adopted with libvirt's alias, in place", TWO, "A1@3:7/3-2",
	  "vm1:hostdev0@3:7* vm2", NULL, "" },
	{ "adopted and moved", TWO, "B2@3:8/3-3", "vm1:hostdev0@3:8* vm2",
	  NULL, "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "no alias, moved", TWO, "B2@3:8/3-3", "vm1:-@3:8* vm2",
	  NULL, "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "adoption off: in the persistent definition", TWO, "B2@3:8/3-3",
	  "vm1:hostdev0@3:8 vm2", NULL, "" },
	{ "adoption off: serial assigned nowhere", TWO, "C3@3:8/3-3",
	  "vm1:hostdev0@3:8* vm2", NULL, "" },
	{ "adoption off: no device at the address", TWO, "",
	  "vm1:hostdev0@3:8* vm2", NULL, "" },
	{ "adoption off: device without serial", TWO, "-@3:8/3-3",
	  "vm1:-@3:8* vm2", NULL, "" },
	{ "adoption off: another tool's alias", TWO, "B2@3:8/3-3",
	  "vm1:ua-other@3:8* vm2", NULL, "" },
	/* A config that assigns nothing changes nothing, ours neither. */
	{ "adoption off: no config at all", "", "B2@3:8/3-3",
	  "vm1:-@3:8*,ua-bbvirt-X9@3:9", NULL, "" },
	{ "device without serial is never assigned", TWO, "-@3:7/3-2",
	  "vm1 vm2", NULL, "" },
	{ "lent by hand stays while plugged", TWO, "A1@3:7/3-2",
	  "vm2:ua-bbmanual-A1@3:7 vm1", NULL, "" },
	{ "lent by hand and replugged: config rules", TWO, "A1@3:9/3-2",
	  "vm2:ua-bbmanual-A1@3:7 vm1", NULL,
	  "detach A1 3:7 from vm2 (readdressed)\n"
	  "attach A1 3:9 port 3-2 to vm1 (missing)\n" },
	{ "lent unassigned device stays", TWO, "C3@3:5/3-1",
	  "vm2:ua-bbmanual-C3@3:5 vm1", NULL, "" },
	{ "encoded alias decodes", CONF("serials = a-b.c\n"), "a-b.c@2:3/2-1",
	  "vm1", NULL,
	  "attach a-b.c 2:3 port 2-1 to vm1 (missing)\n" },
	{ "encoded alias held", CONF("serials = a-b.c\n"), "a-b.c@2:3/2-1",
	  "vm1:ua-bbvirt-a-2db-2ec@2:3", NULL, "" },
	{ "non-canonical alias is foreign", CONF("serials = AB\n"),
	  "AB@2:3/2-1", "vm1:ua-bbvirt-A-42@2:3", NULL, "" },
	{ "detaches before attaches, sorted",
	  "[domain \"b\"]\nserials = X1 X2\n[domain \"a\"]\nserials = Y1\n",
	  "X1@1:2/1-1 X2@1:3/1-2 Y1@1:4/1-3",
	  "a:ua-bbvirt-X2@1:3 b:ua-bbvirt-Y1@1:9", NULL,
	  "detach X2 1:3 port 1-2 from a (reassigned)\n"
	  "detach Y1 1:9 from b (readdressed)\n"
	  "attach Y1 1:4 port 1-3 to a (missing)\n"
	  "attach X1 1:2 port 1-1 to b (missing)\n"
	  "attach X2 1:3 port 1-2 to b (missing)\n" },
	{ "scope keeps its domain", TWO, "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2",
	  "vm2", "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "scope frees a device held elsewhere", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 vm2", "vm2",
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	/* The old scoping read actions it had already dropped (ASan: use after free). */
	{ "scope drops one action, keeps a later detach", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1:ua-bbvirt-B2@3:8 vm2", "vm2",
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "scope leaves other domains' stale", TWO, "",
	  "vm1:ua-bbvirt-A1@3:7 vm2", "vm2", "" },
	{ "scope by config key", "[domain \"k\"]\nname = vm9\nserials = A1\n",
	  "A1@3:7/3-2", "vm9", "k",
	  "attach A1 3:7 port 3-2 to vm9 (missing)\n" },
	{ "held twice: keep ours, leave the foreign copy", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2:hostdev3@3:7", NULL, "" },
	{ "held twice, both ours: keep one, detach the other", TWO,
	  "A1@3:7/3-2", "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-A1@3:7", NULL,
	  "detach A1 3:7 port 3-2 from vm2 (reassigned)\n" },
	/* libvirt keeps aliases unique within a domain, not across domains. */
	{ "stale copy in another guest", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-A1@3:4", NULL,
	  "detach A1 3:4 from vm2 (readdressed)\n" },
	{ "a guest with ours, adopted, foreign and vendor/product",
	  "[domain \"vm1\"]\nserials = A1 B2 C3\n", "A1@3:7/3-2 B2@3:8/3-3 C3@3:9/3-4",
	  "vm1:ua-bbvirt-A1@3:7,hostdev1@3:8*,ua-other@3:9,-@0:0", NULL, "" },
	{ "two identical devices to two guests", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	/* Shared serials: neither clone is assigned; the one held stays. */
	{ "shared serial held: stays", TWO, "=A1@3:7/3-2 =A1@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL, "" },
	{ "shared serial held elsewhere: stays", TWO, "=A1@3:7/3-2 =A1@3:8/3-3",
	  "vm2:ua-bbvirt-A1@3:8 vm1", NULL, "" },
	{ "shared serial not held: nothing", TWO, "=A1@3:7/3-2 =A1@3:8/3-3",
	  "vm1 vm2", NULL, "" },
	{ "shared serial held at an old address: detach, as readdressed", TWO,
	  "=A1@3:7/3-2 =A1@3:8/3-3", "vm1:ua-bbvirt-A1@3:5 vm2", NULL,
	  "detach A1 3:5 from vm1 (readdressed)\n" },
	/* Host identity: one guest seen through two URIs is one guest. */
	{ "one guest through two URIs: converged", TWO_URIS, "A1@3:7/3-2",
	  "vm1/u1=g1:ua-bbvirt-A1@3:7 vm1/u2=g1:ua-bbvirt-A1@3:7 vm2/u2=g2",
	  NULL, "", "u1 u2" },
	{ "one guest through two URIs: named by the first", TWO_URIS,
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1/u1=g1 vm2/u1=g2 vm1/u2=g1 vm2/u2=g2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 on u1 (missing)\n"
	  "attach B2 3:8 port 3-3 to vm2 on u1 (missing)\n", "u1 u2" },
	{ "two guests of one name on two URIs: two guests", TWO_URIS,
	  "A1@3:7/3-2", "vm1/u1=g1 vm1/u2=g3:ua-bbvirt-A1@3:7", NULL,
	  "detach A1 3:7 port 3-2 from vm1 on u2 (reassigned)\n"
	  "attach A1 3:7 port 3-2 to vm1 on u1 (missing)\n", "u1 u2" },
	/* Another host: neither attached to nor detached from. */
	{ "remote guest: not attached to", TWO_URIS, "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1/u1 vm2/u2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 on u1 (missing)\n", "u1 @u2" },
	{ "remote guest's assignment: a local holder keeps it", TWO_URIS,
	  "B2@3:8/3-3", "vm1/u1:ua-bbvirt-B2@3:8 vm2/u2", NULL, "",
	  "u1 @u2" },
	/* Requests. */
	{ "attach SERIAL", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (requested)\n", NULL, "attach A1" },
	{ "attach BUS:DEV", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (requested)\n", NULL, "attach 3:7" },
	{ "attach BUS-PORT", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (requested)\n", NULL, "attach 3-2" },
	{ "attach in place: nothing", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL, "", NULL, "attach A1" },
	{ "attach -D lends", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm2 (requested)\n", NULL,
	  "attach A1 -D vm2" },
	{ "attach held elsewhere: refused", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "refused held-elsewhere: device 'A1' is attached to 'vm1'; detach it first\n",
	  NULL, "attach A1 -D vm2" },
	{ "attach foreign-held: refused, naming the holder", TWO, "A1@3:7/3-2",
	  "vm2:hostdev0@3:7 vm1", NULL,
	  "refused foreign: device 'A1' (3:7) is held by 'vm2' through hostdev 'hostdev0', which bbvirt does not own: left alone\n",
	  NULL, "attach A1" },
	{ "attach unassigned: refused", TWO, "C3@3:5/3-1", "vm1 vm2", NULL,
	  "refused unassigned: device 'C3' is not assigned to a domain; name one with -D\n",
	  NULL, "attach C3" },
	{ "attach to a shut-off domain: refused", TWO, "A1@3:7/3-2",
	  "!vm1 vm2", NULL,
	  "refused domain-down: domain 'vm1' is not running\n", NULL,
	  "attach A1" },
	{ "attach to an unknown domain: refused", TWO, "A1@3:7/3-2", "vm1 vm2",
	  NULL, "refused no-domain: domain 'vm7' does not exist on the default URI\n",
	  NULL, "attach A1 -D vm7" },
	{ "attach to a remote domain: refused", TWO_URIS, "B2@3:8/3-3",
	  "vm1/u1 vm2/u2", NULL,
	  "refused remote: domain 'vm2' on u2 is on another host: it cannot take this host's devices\n",
	  "u1 @u2", "attach B2" },
	{ "attach absent: refused", TWO, "", "vm1 vm2", NULL,
	  "refused not-plugged: no device 'A1' is plugged in\n", NULL,
	  "attach A1" },
	{ "attach a shared serial: refused", TWO, "=A1@3:7/3-2 =A1@3:8/3-3",
	  "vm1 vm2", NULL,
	  "refused shared: serial 'A1' is on more than one plugged-in device; name one by its port\n",
	  NULL, "attach A1" },
	{ "attach a device without serial: refused", TWO, "-@3:7/3-2",
	  "vm1 vm2", NULL,
	  "refused no-serial: device '3:7' (3:7) has no usable serial number, and no port or type rule assigns it\n",
	  NULL, "attach 3:7" },
	{ "attach an unmanaged type: refused", TWO, "", "vm1 vm2", NULL,
	  "refused unmanaged: device '1:2' (1:2) is a 046d:c52b, a type no rule manages\n",
	  NULL, "attach 1:2" },
	{ "attach malformed: refused", TWO, "", "vm1 vm2", NULL,
	  "refused malformed: expected a serial number, BUS:DEV, BUS-PORT[.PORT...] or a stable port path, got '3:'\n",
	  NULL, "attach 3:" },
	{ "attach SERIAL -b -d: the address is the serial's", TWO,
	  "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (requested)\n", NULL,
	  "attach A1 -b 3 -d 7" },
	{ "attach SERIAL -b -d: another serial there, refused", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2", NULL,
	  "refused mismatch: device 3:8 has serial 'B2', not 'A1'\n", NULL,
	  "attach A1 -b 3 -d 8" },
	{ "attach SERIAL -b -d: unmanaged there, refused", TWO, "A1@3:7/3-2",
	  "vm1 vm2", NULL,
	  "refused unmanaged: device 'A1' (1:2) is a 046d:c52b, a type no rule manages\n",
	  NULL, "attach A1 -b 1 -d 2" },
	{ "detach SERIAL: wherever it is", TWO, "A1@3:7/3-2",
	  "vm2:ua-bbmanual-A1@3:7 vm1", NULL,
	  "detach A1 3:7 port 3-2 from vm2 (requested)\n", NULL, "detach A1" },
	{ "detach SERIAL: adopted", TWO, "A1@3:7/3-2", "vm1:-@3:7* vm2", NULL,
	  "detach A1 3:7 port 3-2 from vm1 (requested)\n", NULL, "detach A1" },
	{ "detach SERIAL: foreign never", TWO, "A1@3:7/3-2",
	  "vm1:hostdev0@3:7 vm2", NULL, "", NULL, "detach A1" },
	{ "detach BUS:DEV: foreign never", TWO, "A1@3:7/3-2",
	  "vm1:ua-admin@3:7 vm2", NULL, "", NULL, "detach 3:7" },
	{ "detach BUS:DEV of an unmanaged type: bbvirt's hostdev there goes",
	  TWO, "", "vm1:ua-bbvirt-A1@1:2 vm2", NULL,
	  "detach A1 1:2 from vm1 (requested)\n", NULL, "detach 1:2" },
	{ "detach BUS:DEV of an unmanaged type: a foreign one stays", TWO, "",
	  "vm1:hostdev0@1:2 vm2", NULL, "", NULL, "detach 1:2" },
	{ "detach BUS:DEV after unplug: ours there", TWO, "",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (requested)\n", NULL, "detach 3:7" },
	/* The remove event's form: that serial's hostdev at that address, only. */
	{ "detach SERIAL -b -d after unplug", TWO, "",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (requested)\n", NULL,
	  "detach A1 -b 3 -d 7" },
	{ "detach SERIAL -b -d: late remove after replug leaves the new one",
	  TWO, "A1@3:9/3-2", "vm1:ua-bbvirt-A1@3:9 vm2", NULL, "", NULL,
	  "detach A1 -b 3 -d 7" },
	{ "detach SERIAL -b -d: another serial at that address stays", TWO,
	  "B2@3:7/3-2", "vm2:ua-bbvirt-B2@3:7 vm1", NULL, "", NULL,
	  "detach A1 -b 3 -d 7" },
	{ "detach SERIAL -b -d: the original's, after unplug", TWO, "",
	  "vm1:-@3:7* vm2", NULL, "detach A1 3:7 from vm1 (requested)\n",
	  NULL, "detach A1 -b 3 -d 7" },
	{ "detach SERIAL -b -d: an admin's static one, after unplug", TWO, "",
	  "vm1:-@3:7 vm2", NULL, "", NULL, "detach A1 -b 3 -d 7" },
	{ "detach SERIAL -b -d: unassigned serial's no-alias hostdev", TWO, "",
	  "vm1:-@3:7* vm2", NULL, "", NULL, "detach C3 -b 3 -d 7" },
	{ "detach-all DOMAIN: only from it, lent ones stay", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-B2@3:8", NULL,
	  "detach A1 3:7 port 3-2 from vm1 (requested)\n", NULL,
	  "detach-all vm1" },
	{ "detach-all DOMAIN: its serial held elsewhere stays", TWO,
	  "A1@3:7/3-2", "vm2:ua-bbmanual-A1@3:7 vm1", NULL, "", NULL,
	  "detach-all vm1" },
	{ "detach-all: every hostdev bbvirt owns, wherever it is", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7,ua-bbvirt-B2@3:8 vm2", NULL,
	  "detach A1 3:7 port 3-2 from vm1 (requested)\n"
	  "detach B2 3:8 port 3-3 from vm1 (requested)\n", NULL,
	  "detach-all" },
	{ "attach-all: a conflict refused, the rest done", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2:hostdev0@3:7", NULL,
	  "attach B2 3:8 port 3-3 to vm2 (requested)\n"
	  "refused foreign: device 'A1' (3:7) is held by 'vm2' through hostdev 'hostdev0', which bbvirt does not own: left alone\n",
	  NULL, "attach-all" },
	{ "attach-all: absent and shut off are no refusal", TWO, "B2@3:8/3-3",
	  "vm1 !vm2", NULL, "", NULL, "attach-all" },
	/* Port and type rules (#16): what is at a port, every device of a type. */
	{ "port: a device without serial at the port is attached", PORTS,
	  "-@3:7/3-2+t1a86:0001", "vm1 vm2", NULL,
	  "attach - 3:7 port 3-2 to vm1 (missing)\n" },
	{ "port: held by its rule's alias: nothing to do", PORTS,
	  "-@3:7/3-2+t1a86:0001", "vm1:ua-bbport-3-2d2@3:7 vm2", NULL, "" },
	{ "port: replugged into the same port", PORTS, "-@3:9/3-2+t1a86:0001",
	  "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (readdressed)\n"
	  "attach - 3:9 port 3-2 to vm1 (missing)\n" },
	{ "port: moved to another port", PORTS, "-@3:9/3-4+t1a86:0001",
	  "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (absent)\n" },
	{ "port: a new identity at the port (DFU) stays with the domain", PORTS,
	  "-@3:8/3-2+t1a86:df00", "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (readdressed)\n"
	  "attach - 3:8 port 3-2 to vm1 (missing)\n" },
	{ "port: a hub at the port is never passed through", PORTS,
	  "-@3:7/3-2+t05e3:0610+hub", "vm1 vm2", NULL, "" },
	{ "port: a hub held by its alias goes", PORTS,
	  "-@3:7/3-2+t05e3:0610+hub", "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (unassigned)\n" },
	{ "port: the USB 3 half of a connector named by its USB 2 half", PORTS,
	  "-@4:3/4-2+t0bda:8153+p3-2", "vm1 vm2", NULL,
	  "attach - 4:3 port 4-2 to vm1 (missing)\n" },
	{ "port: by the stable path, alias of the port as configured",
	  "[domain \"vm1\"]\nports = pci-0000:00:14.0-usb-0:2\n",
	  "-@7:3/7-2+t0bda:8153+spci-0000:00:14.0-usb-0:2", "vm1", NULL,
	  "attach - 7:3 port 7-2 to vm1 (missing)\n" },
	{ "port: two spellings of one connector: nowhere, never a coin toss",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\nports = pci-0000:00:14.0-usb-0:2\n",
	  "-@3:7/3-2+t1a86:0001+spci-0000:00:14.0-usb-0:2",
	  "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (unassigned)\n" },
	{ "port: the two halves in two rules: nowhere",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\nports = 4-2\n",
	  "-@4:3/4-2+t0bda:8153+p3-2", "vm1 vm2", NULL, "" },
	{ "port: the rule now names another domain",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\nserials = B2\n",
	  "-@3:7/3-2+t1a86:0001", "vm1 vm2:ua-bbport-3-2d2@3:7", NULL,
	  "detach - 3:7 port 3-2 from vm2 (reassigned)\n"
	  "attach - 3:7 port 3-2 to vm1 (missing)\n" },
	{ "port: sync vm1 frees what vm2 holds by the old rule",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\nserials = B2\n",
	  "-@3:7/3-2+t1a86:0001 -@3:8/3-3+t1a86:0001",
	  "vm1 vm2:ua-bbport-3-2d2@3:7,ua-bbport-3-2d3@3:8", "vm1",
	  "detach - 3:7 port 3-2 from vm2 (reassigned)\n"
	  "attach - 3:7 port 3-2 to vm1 (missing)\n" },
	{ "port: the port no longer configured", TWO, "-@3:7/3-2+t1a86:0001",
	  "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (unassigned)\n" },
	{ "port: a foreign hostdev holds the device: left alone", PORTS,
	  "-@3:7/3-2+t1a86:0001", "vm1 vm2:ua-admin@3:7", NULL, "" },
	{ "port: an unconfigured serial's old hostdev goes, the port's comes",
	  PORTS, "A1@3:7/3-2", "vm1 vm2:ua-bbvirt-A1@3:7", NULL,
	  "detach A1 3:7 port 3-2 from vm2 (reassigned)\n"
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "port: a serial shared by plugged devices: not by serial, by port",
	  "[domain \"vm1\"]\nserials = C1\n[domain \"vm2\"]\nports = 3-3\n",
	  "=C1@3:7/3-2 =C1@3:8/3-3", "vm1 vm2", NULL,
	  "attach C1 3:8 port 3-3 to vm2 (missing)\n" },
	{ "port: a clone lent by serial stays where it is",
	  "[domain \"vm1\"]\nserials = C1\n[domain \"vm2\"]\nports = 3-3\n",
	  "=C1@3:7/3-2 =C1@3:8/3-3", "vm1:ua-bbvirt-C1@3:8 vm2", NULL, "" },
	{ "precedence: a serial before a port",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\nserials = A1\n",
	  "A1@3:7/3-2", "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "detach - 3:7 from vm1 (reassigned)\n"
	  "attach A1 3:7 port 3-2 to vm2 (missing)\n" },
	{ "precedence: a port before a type",
	  "[domain \"vm1\"]\nports = 3-2\n[domain \"vm2\"]\ndevices = 1a86:7523\n",
	  "-@3:7/3-2+t1a86:7523 -@3:8/3-3+t1a86:7523", "vm1 vm2", NULL,
	  "attach - 3:7 port 3-2 to vm1 (missing)\n"
	  "attach - 3:8 port 3-3 to vm2 (missing)\n" },
	{ "type: every device of the type, each its own alias", PORTS,
	  "-@3:7/3-5+t1a86:7523 -@3:8/3-6+t1a86:7523 -@3:9/3-7+t1a86:0001",
	  "vm1 vm2:ua-bbtype-1a867523-3-2d5@3:7", NULL,
	  "attach - 3:8 port 3-6 to vm2 (missing)\n" },
	{ "type: moved to another port: the old alias goes, a new one comes",
	  PORTS, "-@3:9/3-7+t1a86:7523", "vm1 vm2:ua-bbtype-1a867523-3-2d5@3:7",
	  NULL, "detach - 3:7 from vm2 (absent)\n"
	  "attach - 3:9 port 3-7 to vm2 (missing)\n" },
	{ "type: replugged at the same port", PORTS, "-@3:9/3-5+t1a86:7523",
	  "vm1 vm2:ua-bbtype-1a867523-3-2d5@3:7", NULL,
	  "detach - 3:7 from vm2 (readdressed)\n"
	  "attach - 3:9 port 3-5 to vm2 (missing)\n" },
	{ "type: another type at the alias's address goes", PORTS,
	  "-@3:7/3-5+t1a86:0001", "vm1 vm2:ua-bbtype-1a867523-3-2d5@3:7", NULL,
	  "detach - 3:7 from vm2 (unassigned)\n" },
	{ "type: an admin's hostdev by vendor:product holds one: all left alone",
	  PORTS, "-@3:7/3-5+t1a86:7523 -@3:8/3-6+t1a86:7523",
	  "vm1:-@v1a86:7523 vm2", NULL, "" },
	{ "port: an admin's hostdev of another type does not stop it", PORTS,
	  "-@3:7/3-2+t1a86:0001", "vm1 vm2:-@v1a86:7523", NULL,
	  "attach - 3:7 port 3-2 to vm1 (missing)\n" },
	{ "type: hubs are never passed through",
	  "[domain \"vm1\"]\ndevices = 05e3:0610\n", "-@3:7/3-2+t05e3:0610+hub",
	  "vm1", NULL, "" },
	{ "type: a shut-off domain gets nothing", PORTS, "-@3:7/3-5+t1a86:7523",
	  "vm1 !vm2", NULL, "" },
	{ "serial: a new product id keeps the domain when both are managed",
	  "[defaults]\nusb-ids = 0403:7840 0403:df11\n[domain \"vm1\"]\nserials = A1\n",
	  "A1@3:8/3-2+t0403:df11", "vm1:ua-bbvirt-A1@3:7", NULL,
	  "detach A1 3:7 from vm1 (readdressed)\n"
	  "attach A1 3:8 port 3-2 to vm1 (missing)\n" },
	{ "serial: a new product id not managed loses the serial's claim",
	  "[domain \"vm1\"]\nserials = A1\n",
	  "A1@3:8/3-2+t0403:df11", "vm1:ua-bbvirt-A1@3:7", NULL,
	  "detach A1 3:7 from vm1 (absent)\n" },
	{ "devices V:P/S: that type only",
	  "[defaults]\nusb-ids = 0403:6001\n[domain \"vm1\"]\ndevices = 0403:7840/A1\n",
	  "A1@3:7/3-2+t0403:6001 A1@3:8/3-3", "vm1", NULL,
	  "attach A1 3:8 port 3-3 to vm1 (missing)\n" },
	/*
	 * release, before the host saves its guests: every hostdev bbvirt
	 * owns goes, whatever the config says; nothing is attached.
	 */
	{ "release: converged guests give back their devices", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-B2@3:8", NULL,
	  "detach A1 3:7 port 3-2 from vm1 (released)\n"
	  "detach B2 3:8 port 3-3 from vm2 (released)\n", NULL, "release" },
	{ "release: lent, stale, unassigned and adopted go; foreign stays", TWO,
	  "A1@3:7/3-2 C3@3:5/3-1 L4@3:6/3-4",
	  "vm1:-@3:7*,ua-bbvirt-B2@3:3,ua-admin@1:2,-@0:0 "
	  "vm2:ua-bbmanual-L4@3:6,ua-bbvirt-C3@3:5,hostdev0@3:5", NULL,
	  "detach A1 3:7 port 3-2 from vm1 (released)\n"
	  "detach B2 3:3 from vm1 (released)\n"
	  "detach C3 3:5 port 3-1 from vm2 (released)\n"
	  "detach L4 3:6 port 3-4 from vm2 (released)\n", NULL, "release" },
	{ "release: nothing pending is attached", TWO, "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1 vm2", NULL, "", NULL, "release" },
	{ "release: shut-off and remote guests are not asked", TWO_URIS,
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "!vm1/u1:ua-bbvirt-A1@3:7 vm2/u2:ua-bbvirt-B2@3:8", NULL, "",
	  "u1 @u2", "release" },
	{ "release: with no config, its aliases still go", "", "B2@3:8/3-3",
	  "vm1:-@3:8*,ua-bbvirt-X9@3:9", NULL,
	  "detach X9 3:9 from vm1 (released)\n", NULL, "release" },
	{ "release: the clones' holder too", CONF("serials = S1\n"),
	  "=S1@3:7/3-2 =S1@3:8/3-3", "vm1:ua-bbvirt-S1@3:8", NULL,
	  "detach S1 3:8 from vm1 (released)\n", NULL, "release" },
	{ "release: what port and type rules attached goes too", PORTS,
	  "-@3:7/3-2+t1a86:0001", "vm1:ua-bbport-3-2d2@3:7 "
	  "vm2:ua-bbtype-1a867523-3-2d9@3:9", NULL,
	  "detach - 3:7 port 3-2 from vm1 (released)\n"
	  "detach - 3:9 from vm2 (released)\n", NULL, "release" },
};

/*
 * "A1@3:7/3-2 -@3:8/3-3 =C1@3:9/3-4 -@3:5/3-5+t1a86:7523+hub+p4-5+sS+qQ":
 * after the port, '+' options: t the type (0403:7840 else), hub, p the
 * peer port, s the stable path, q the peer's stable path.
 */
static void
parse_devices(const char *spec, struct udevsnap *snap)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;
	bool taken = false;

	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct usbdev d = {
			.vendor = 0x0403, .product = 0x7840, .managed = true,
		};
		char *at = strchr(w, '@');
		char *slash = strchr(w, '/');
		char *opt = strchr(w, '+');
		char *save2 = NULL;

		assert_non_null(at);
		assert_non_null(slash);
		*at = *slash = '\0';
		if (opt != NULL)
			*opt++ = '\0';
		for (char *o = opt != NULL ? strtok_r(opt, "+", &save2) : NULL;
		    o != NULL; o = strtok_r(NULL, "+", &save2)) {
			unsigned v;
			unsigned p;

			if (strcmp(o, "hub") == 0)
				d.class = USB_CLASS_HUB;
			else if (o[0] == 't') {
				assert_int_equal(sscanf(o + 1, "%4x:%4x", &v, &p), 2);
				d.vendor = v;
				d.product = p;
			} else if (o[0] == 'p')
				d.peer_port = strdup(o + 1);
			else if (o[0] == 's')
				d.path = strdup(o + 1);
			else if (o[0] == 'q')
				d.peer_path = strdup(o + 1);
			else
				fail_msg("unknown device option '%s'", o);
		}
		assert_int_equal(sscanf(at + 1, "%u:%u", &d.bus, &d.dev), 2);
		/* A clone keeps its serial here until the list is built. */
		d.serial = strcmp(w, "-") == 0 ? NULL : strdup(w + (w[0] == '='));
		d.port = strdup(slash + 1);
		d.syspath = strdup(w[0] == '=' ? "/sys/clone" : "/sys/fake");
		snap->v = reallocarray(snap->v, snap->n + 1, sizeof(d));
		assert_non_null(snap->v);
		snap->v[snap->n++] = d;
	}
	/* A mouse at 1:2, of a type not managed, unless a case puts a device there. */
	for (size_t i = 0; i < snap->n; i++)
		taken = taken || (snap->v[i].bus == 1 && snap->v[i].dev == 2);
	if (!taken) {
		snap->v = reallocarray(snap->v, snap->n + 1, sizeof(*snap->v));
		assert_non_null(snap->v);
		snap->v[snap->n++] = (struct usbdev){
			.vendor = 0x046d, .product = 0xc52b, .bus = 1, .dev = 2,
			.port = strdup("1-2"), .syspath = strdup("/sys/mouse"),
		};
	}
	for (size_t i = 0; i < snap->n; i++)
		snap->v[i].connector = snap->v[i].port;
	/* In bus:dev order, as udevsnap_collect() gives them. */
	if (snap->n > 1)
		qsort(snap->v, snap->n, sizeof(*snap->v), usbdev_addr_cmp);
}

/* As the snapshot reads them: only the managed types' serials. */
static void
set_managed(const struct conf *conf, struct udevsnap *snap)
{
	for (size_t i = 0; i < snap->n; i++) {
		struct usbdev *d = &snap->v[i];

		d->managed = conf_manages(conf, d->vendor, d->product);
		if (!d->managed)
			d->serial = mfree(d->serial);
	}
}

/* "vm1/u1=g1:ua-bbvirt-A1@3:7,-@3:9* !vm2" */
static void
parse_guests(const char *spec, const struct virtconns *conns,
    struct virtsnap *snap)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct vdomain d = { .active = w[0] != '!' };
		const struct virtconn *vc;
		char *colon;
		char *slash;
		char *eq;
		char *save2 = NULL;
		char id[64];

		if (w[0] == '!')
			w++;
		colon = strchr(w, ':');
		if (colon != NULL)
			*colon = '\0';
		eq = strchr(w, '=');
		if (eq != NULL)
			*eq++ = '\0';
		slash = strchr(w, '/');
		if (slash != NULL)
			*slash++ = '\0';
		d.name = strdup(w);
		vc = virtconns_find(conns, slash);
		assert_non_null(vc);
		d.uri = vc->uri;
		d.conn = virtconns_index(conns, vc);
		d.remote = vc->remote;
		/* One guest per name and URI unless a UUID says otherwise. */
		(void)snprintf(id, sizeof(id), "%s/%s", w,
		    slash != NULL ? slash : "");
		memcpy(d.uuid, eq != NULL ? eq : id, MIN(strlen(eq != NULL ?
		    eq : id), sizeof(d.uuid)));
		for (char *h = colon != NULL ? strtok_r(colon + 1, ",", &save2) :
		    NULL; h != NULL && !d.remote; h = strtok_r(NULL, ",", &save2)) {
			struct hostdev hd = { .has_address = true };
			char *at = strchr(h, '@');
			size_t len;

			assert_non_null(at);
			*at = '\0';
			len = strlen(at + 1);
			if (at[len] == '*') {
				hd.live_only = true;
				at[len] = '\0';
			}
			if (at[1] == 'v') {
				unsigned v;
				unsigned p;

				/* "@vVVVV:PPPP": by vendor:product alone. */
				assert_int_equal(sscanf(at + 2, "%4x:%4x", &v, &p), 2);
				hd.vendor = v;
				hd.product = p;
			} else
				assert_int_equal(sscanf(at + 1, "%u:%u", &hd.bus,
				    &hd.dev), 2);
			if (hd.bus == 0) {
				hd.has_address = false;
				hd.has_id = true;
			}
			hd.alias = strcmp(h, "-") == 0 ? NULL : strdup(h);
			d.hostdevs.v = reallocarray(d.hostdevs.v,
			    d.hostdevs.n + 1, sizeof(hd));
			assert_non_null(d.hostdevs.v);
			d.hostdevs.v[d.hostdevs.n++] = hd;
		}
		snap->domains = reallocarray(snap->domains, snap->n_domains + 1,
		    sizeof(d));
		assert_non_null(snap->domains);
		snap->domains[snap->n_domains++] = d;
	}
	snap->conns = (struct virtconns *)conns;
}

/* "u1 @u2": reachable connections in that order, '@' on another host. */
static void
parse_conns(const char *spec, struct virtconns *c)
{
	_cleanup_free_ char *copy = strdup(spec != NULL ? spec : "");
	char *save = NULL;

	c->v = calloc(8, sizeof(*c->v));
	assert_non_null(c->v);
	if (spec == NULL) {
		c->n = 1;       /* one local default URI, unnamed */
		c->v[0].conn = (struct _virConnect *)c;
		return;
	}
	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct virtconn *vc = &c->v[c->n++];

		assert_true(c->n < 8);
		vc->remote = w[0] == '@';
		vc->uri = strdup(w + vc->remote);
		/* Any non-NULL pointer: the planner only asks whether it is. */
		vc->conn = (struct _virConnect *)c;
	}
}

static void
free_world(struct udevsnap *u, struct virtsnap *v, struct virtconns *c)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].serial);
		free(u->v[i].port);
		free(u->v[i].path);
		free(u->v[i].peer_port);
		free(u->v[i].peer_path);
		free(u->v[i].syspath);
	}
	free(u->v);
	for (size_t i = 0; i < v->n_domains; i++) {
		free(v->domains[i].name);
		hostdev_list_done(&v->domains[i].hostdevs);
	}
	free(v->domains);
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].uri);
	free(c->v);
}

/* A guest world in memory behind our apply interface: what libvirt would do. */
static struct vdomain *
fake_domain(struct virtsnap *snap, const char *uri, const char *name)
{
	for (size_t i = 0; i < snap->n_domains; i++)
		if (strcmp(snap->domains[i].name, name) == 0 &&
		    streq_null(snap->domains[i].uri, uri))
			return &snap->domains[i];
	fail_msg("no domain '%s'", name);
	return NULL;
}

/* Every domain that is the same guest as d, d included, gets the change. */
static void
fake_each(struct virtsnap *snap, const struct vdomain *d,
    void (*fn)(struct vdomain *, const struct hostdev *),
    const struct hostdev *hd)
{
	unsigned char uuid[VDOMAIN_UUID_LEN];

	memcpy(uuid, d->uuid, sizeof(uuid));
	for (size_t i = 0; i < snap->n_domains; i++)
		if (memcmp(snap->domains[i].uuid, uuid, sizeof(uuid)) == 0)
			fn(&snap->domains[i], hd);
}

/* Reads back the one hostdev element apply sent, as libvirt would parse it. */
static void
fake_parse(const char *xml, struct hostdev_list *l)
{
	_cleanup_free_ char *dom = NULL;

	assert_true(asprintf(&dom, "<domain><devices>%s</devices></domain>",
	    xml) > 0);
	assert_int_equal(domxml_hostdevs(dom, strlen(dom), l), 0);
	assert_int_equal(l->n, 1);
}

static void
fake_add(struct vdomain *d, const struct hostdev *hd)
{
	struct hostdev c = *hd;

	c.alias = hd->alias != NULL ? strdup(hd->alias) : NULL;
	d->hostdevs.v = reallocarray(d->hostdevs.v, d->hostdevs.n + 1,
	    sizeof(c));
	assert_non_null(d->hostdevs.v);
	d->hostdevs.v[d->hostdevs.n++] = c;
}

static int
fake_attach(void *userdata, struct plan_action *a, const char *xml)
{
	struct virtsnap *snap = userdata;
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };

	fake_parse(xml, &l);
	l.v[0].live_only = true;
	fake_each(snap, fake_domain(snap, a->uri, a->domain), fake_add, &l.v[0]);
	return 0;
}

/* Removes the first hostdev with hd's alias or, without one, at its address. */
static void
fake_remove(struct vdomain *d, const struct hostdev *hd)
{
	for (size_t i = 0; i < d->hostdevs.n; i++) {
		struct hostdev *h = &d->hostdevs.v[i];

		if (hd->alias != NULL ? streq_null(h->alias, hd->alias) :
		    h->has_address && h->bus == hd->bus && h->dev == hd->dev) {
			free(h->alias);
			*h = d->hostdevs.v[--d->hostdevs.n];
			return;
		}
	}
	fail_msg("nothing to detach in '%s'", d->name);
}

static int
fake_detach_alias(void *userdata, struct plan_action *a)
{
	struct virtsnap *snap = userdata;
	struct hostdev hd = { .alias = a->alias };

	fake_each(snap, fake_domain(snap, a->uri, a->domain), fake_remove, &hd);
	return 0;
}

static int
fake_detach_xml(void *userdata, struct plan_action *a, const char *xml)
{
	struct virtsnap *snap = userdata;
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };

	fake_parse(xml, &l);
	free(l.v[0].alias);
	l.v[0].alias = NULL;
	fake_each(snap, fake_domain(snap, a->uri, a->domain), fake_remove,
	    &l.v[0]);
	return 0;
}

static int
fake_wait_gone(void *userdata _unused_, struct plan_action *a _unused_)
{
	return 0;
}

static const struct apply_ops fake_ops = {
	.attach = fake_attach,
	.detach_alias = fake_detach_alias,
	.detach_xml = fake_detach_xml,
	.wait_gone = fake_wait_gone,
};

static char *
report_text(const struct plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report_plan(f, plan, false), 0);
	for (size_t i = 0; i < plan->n_refusals; i++)
		fprintf(f, "refused %s: %s\n",
		    plan_refusal_kind_to_string(plan->refusals[i].kind),
		    plan->refusals[i].message);
	fclose(f);
	return text;
}

/* Everything a case's world is made of, built from its text. */
struct tworld {
	struct conf conf;
	struct udevsnap devs;
	struct virtconns conns;
	struct virtsnap guests;
	struct strv only;
	struct plan_request one;
	struct plan_input in;
};

static void
tworld_done(struct tworld *t)
{
	strv_done(&t->only);
	free_world(&t->devs, &t->guests, &t->conns);
	conf_done(&t->conf);
}

/*
 * Reads the case's command line, "attach|detach DEVICE [-D DOMAIN] [-b BUS]
 * [-d DEV]", "attach-all|detach-all [DOMAIN]" or "release" (NULL: sync,
 * of only when given), and hands it to command_input(), as bbvirt's verbs
 * do; a refusal is returned in *ret_refusal, as text.
 */
static void
parse_request(struct tworld *t, char *words, const char *only,
    char **ret_refusal)
{
	struct command_line cl = { .command = COMMAND_SYNC };
	struct plan_refusal ref = { 0 };
	char *args[2] = { NULL, NULL };
	char *save = NULL;
	char *w;
	int r;

	*ret_refusal = NULL;
	if (words != NULL) {
		r = command_from_string(strtok_r(words, " ", &save));
		assert_true(r >= 0);
		cl.command = r;
	}
	while (words != NULL && (w = strtok_r(NULL, " ", &save)) != NULL) {
		char *v;

		if (w[0] != '-') {
			assert_true(cl.n_args == 0);
			args[cl.n_args++] = w;
			continue;
		}
		v = strtok_r(NULL, " ", &save);
		assert_non_null(v);
		if (strcmp(w, "-D") == 0)
			cl.domain = v;
		else if (strcmp(w, "-b") == 0)
			cl.bus = strtoul(v, NULL, 10);
		else
			cl.dev = strtoul(v, NULL, 10);
	}
	if (only != NULL)
		args[cl.n_args++] = (char *)only;
	cl.args = args;
	r = command_input(&cl, &t->in, &t->one, &t->only, &ref);
	assert_true(r == 0 || r == 1);
	if (r == 0) {
		assert_true(asprintf(ret_refusal, "refused %s: %s\n",
		    plan_refusal_kind_to_string(ref.kind), ref.message) > 0);
		plan_refusal_done(&ref);
	}
}

/*
 * Plans the case; with converge, applies the plan to the world through
 * the fake and returns the plan that follows, which must be empty.
 */
static char *
plan_text(const struct pcase *c, bool converge)
{
	_cleanup_free_ char *request = c->request != NULL ?
	    strdup(c->request) : NULL;
	struct tworld t = { 0 };
	struct plan *plan = NULL;
	char *text;

	assert_int_equal(conf_parse("test.conf", c->conf, strlen(c->conf),
	    &t.conf), 0);
	parse_devices(c->devices, &t.devs);
	set_managed(&t.conf, &t.devs);
	parse_conns(c->conns, &t.conns);
	parse_guests(c->guests, &t.conns, &t.guests);
	t.in = (struct plan_input){
		.conf = &t.conf, .devices = &t.devs, .guests = &t.guests,
	};
	parse_request(&t, request, c->only, &text);
	if (text != NULL) {
		tworld_done(&t);
		return text;
	}
	/* The snapshot asks for the persistent definition of candidates only. */
	for (size_t i = 0; i < t.guests.n_domains; i++)
		for (size_t j = 0; j < t.guests.domains[i].hostdevs.n; j++) {
			struct hostdev *hd = &t.guests.domains[i].hostdevs.v[j];

			if (!plan_adoptable(hd, &t.in))
				hd->live_only = false;
		}
	assert_int_equal(plan_build(&t.in, &plan), 0);
	if (converge) {
		assert_int_equal(apply_plan(plan, &fake_ops, &t.guests), 0);
		for (size_t i = 0; i < plan->n; i++)
			assert_int_equal(plan->v[i].result, PLAN_DONE);
		plan = plan_free(plan);
		t.in.requests = NULL;
		t.in.n_requests = 0;
		assert_int_equal(plan_build(&t.in, &plan), 0);
	}
	text = report_text(plan);
	plan_free(plan);
	tworld_done(&t);
	return text;
}

/* Every case runs; each one that differs is printed whole, then the test fails. */
static void
expect_text(const char *what, const char *name, const char *got,
    const char *want, size_t *failed)
{
	if (strcmp(got, want) == 0)
		return;
	print_message("%s: %s\n--- expected\n%s--- got\n%s---\n", what,
	    name, want, got);
	(*failed)++;
}

static void
test_plan_cases(void **state _unused_)
{
	size_t failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = NULL;

		text = plan_text(&cases[i], false);
		expect_text("plan", cases[i].name, text, cases[i].plan,
		    &failed);
	}
	assert_int_equal(failed, 0);
}

/* A second sync right after a first plans nothing. */
static void
test_plan_idempotent(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = NULL;

		/* A scoped sync leaves the rest on purpose; requests are not syncs. */
		if (cases[i].only != NULL || cases[i].request != NULL)
			continue;
		print_message("converge: %s\n", cases[i].name);
		text = plan_text(&cases[i], true);
		assert_string_equal(text, "");
	}
}

/* Status: one line per device, STATE last, by the planner's own rules. */
struct scase {
	const char *name;
	const char *conf;
	const char *devices;
	const char *guests;
	const char *conns;
	const char *status;     /* "SERIAL STATE [ATTACHED] [DETAIL]" per device */
};

static const struct scase status_cases[] = {
	/* Port and type rules: the device's rule, after its state. */
	{ "port and type: attached, pending, ambiguous, hub, unmanaged",
	  "[domain \"vm1\"]\nports = 3-2 3-4\n[domain \"vm2\"]\ndevices = 1a86:7523\nports = pci-0000:00:14.0-usb-0:4\n",
	  "-@3:7/3-2+t1a86:0001 -@3:8/3-3+t1a86:7523 -@3:9/3-4+t1a86:0001+spci-0000:00:14.0-usb-0:4 -@3:2/3-1+t05e3:0610+hub -@3:3/3-5+t1a86:0002",
	  "vm1:ua-bbport-3-2d2@3:7 vm2", NULL,
	  "- unmanaged\n- unmanaged\n- attached vm1 [port test.conf:2]\n- pending [type test.conf:4]\n- ambiguous [ambiguous test.conf:2 test.conf:5]\n" },
	{ "port: held by another domain's rule alias, and foreign",
	  "[domain \"vm1\"]\nports = 3-2 3-3\n[domain \"vm2\"]\nserials = B2\n",
	  "-@3:7/3-2+t1a86:0001 -@3:8/3-3+t1a86:0001", "vm1 vm2:ua-bbport-3-2d2@3:7,ua-admin@3:8", NULL,
	  "- stale vm2 [port test.conf:2]\n- foreign vm2 (hostdev 'ua-admin', not bbvirt's) [port test.conf:2]\nB2 absent\n" },
	{ "attached, pending, absent, domain down", TWO "[domain \"vm3\"]\nserials = C3\n",
	  "A1@3:7/3-2 C3@3:9/3-4", "vm1:ua-bbvirt-A1@3:7 vm2 !vm3", NULL,
	  "A1 attached vm1\nC3 domain-down\nB2 absent\n" },
	{ "pending: its domain runs without it", TWO, "B2@3:8/3-3", "vm1 vm2",
	  NULL, "B2 pending\nA1 absent\n" },
	{ "stale: held at an old address", TWO, "A1@3:9/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL, "A1 stale vm1\nB2 absent\n" },
	{ "unassigned and held nowhere", TWO, "C3@3:5/3-1", "vm1 vm2", NULL,
	  "C3 unassigned\nA1 absent\nB2 absent\n" },
	{ "foreign: names the holder and its alias", TWO, "A1@3:7/3-2",
	  "vm2:hostdev0@3:7 vm1", NULL,
	  "A1 foreign vm2 (hostdev 'hostdev0', not bbvirt's)\nB2 absent\n" },
	{ "foreign without alias, in the definition", TWO, "A1@3:7/3-2",
	  "vm2:-@3:7 vm1", NULL,
	  "A1 foreign vm2 (hostdev 'without alias', not bbvirt's)\nB2 absent\n" },
	{ "adopted: attached, not foreign", TWO, "A1@3:7/3-2",
	  "vm1:-@3:7* vm2", NULL, "A1 attached vm1\nB2 absent\n" },
	{ "lent: override", TWO, "A1@3:7/3-2", "vm2:ua-bbmanual-A1@3:7 vm1",
	  NULL, "A1 override vm2\nB2 absent\n" },
	{ "no usable serial", TWO, "-@3:7/3-2", "vm1 vm2", NULL,
	  "- no-serial\nA1 absent\nB2 absent\n" },
	{ "shared: both addresses, the held one named", TWO,
	  "=A1@3:7/3-2 =A1@3:8/3-3", "vm1:ua-bbvirt-A1@3:8 vm2", NULL,
	  "A1 shared (on 3:7, 3:8)\nA1 shared vm1 (on 3:7, 3:8)\nB2 absent\n" },
	{ "remote: assigned to a guest on another host", TWO_URIS,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1/u1 vm2/u2", "u1 @u2",
	  "A1 pending\nB2 remote\n" },
	{ "one guest through two URIs: attached", TWO_URIS, "A1@3:7/3-2",
	  "vm1/u1=g1:ua-bbvirt-A1@3:7 vm1/u2=g1:ua-bbvirt-A1@3:7", "u1 u2",
	  "A1 attached vm1\nB2 absent\n" },
};

/* report_status() text, cut to serial, state, attached and what follows the state. */
static char *
status_text(const struct scase *c)
{
	struct tworld t = { 0 };
	_cleanup_(status_freep) struct status *st = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(conf_parse("test.conf", c->conf, strlen(c->conf),
	    &t.conf), 0);
	parse_devices(c->devices, &t.devs);
	set_managed(&t.conf, &t.devs);
	parse_conns(c->conns, &t.conns);
	parse_guests(c->guests, &t.conns, &t.guests);
	t.in = (struct plan_input){ .conf = &t.conf, .devices = &t.devs,
	    .guests = &t.guests };
	assert_int_equal(status_build(&t.in, &st), 0);
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];

		/* The mouse at 1:2: every world has it, the CLI cases show it. */
		if (d->state == STATUS_UNMANAGED && d->vendor == 0x046d)
			continue;

		fprintf(f, "%s %s", d->serial != NULL ? d->serial : "-",
		    status_state_to_string(d->state));
		if (d->attached != NULL)
			fprintf(f, " %s", d->attached);
		report_status_holder(f, d);
		/* A rule other than a serial's, and where it is. */
		if (d->rule != NULL && strcmp(d->rule, "serial") != 0) {
			fprintf(f, " [%s", d->rule);
			for (size_t k = 0; d->rule_at[k] != NULL; k++)
				fprintf(f, " %s", d->rule_at[k]);
			fprintf(f, "]");
		}
		fprintf(f, "\n");
	}
	assert_int_equal(fclose(f), 0);
	tworld_done(&t);
	return text;
}

static void
test_status_cases(void **state _unused_)
{
	size_t failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(status_cases); i++) {
		_cleanup_free_ char *text = NULL;

		text = status_text(&status_cases[i]);
		expect_text("status", status_cases[i].name, text,
		    status_cases[i].status, &failed);
	}
	assert_int_equal(failed, 0);
}

/*
 * A host of hundreds of guests and thousands of devices, the guests
 * handed over in no particular order, with every kind of drift: the planner's lookups
 * must find each serial, address and guest, and the plan must hold
 * exactly the actions the drift calls for, after which nothing is left.
 */
#define BIG_GUESTS 300
#define BIG_DEVICES 3000

static unsigned big_seed = 1;

static unsigned
big_rand(void)
{
	big_seed = big_seed * 1103515245u + 12345u;
	return (big_seed >> 16) & 0x7fff;
}

/* Joins the n words of v in a shuffled order, blank-separated. */
static char *
big_join(char **v, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = n; i > 1; i--) {
		size_t k = big_rand() % i;
		char *t = v[i - 1];

		v[i - 1] = v[k];
		v[k] = t;
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s", i > 0 ? " " : "", v[i]);
		free(v[i]);
	}
	assert_int_equal(fclose(f), 0);
	return text;
}

static unsigned
count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_plan_big_world(void **state _unused_)
{
	char *devs[BIG_DEVICES];
	char *guests[BIG_GUESTS];
	FILE *gf[BIG_GUESTS];
	size_t glen[BIG_GUESTS];
	_cleanup_free_ char *conf = NULL;
	_cleanup_free_ char *plan = NULL;
	_cleanup_free_ char *after = NULL;
	unsigned missing = 0, readdressed = 0, reassigned = 0;
	size_t conf_len = 0;
	FILE *cf = open_memstream(&conf, &conf_len);
	struct pcase c = { .name = "big world" };

	assert_non_null(cf);
	for (size_t g = 0; g < BIG_GUESTS; g++) {
		guests[g] = NULL;
		gf[g] = open_memstream(&guests[g], &glen[g]);
		assert_non_null(gf[g]);
		fprintf(gf[g], "v%03zu:", g);
		/* One guest in ten holds a hostdev of its admin's, not managed. */
		fprintf(gf[g], "%s", g % 10 == 0 ? "-@250:9," : "");
		fprintf(cf, "[domain \"v%03zu\"]", g);
		for (size_t j = g, k = 0; j < BIG_DEVICES; j += BIG_GUESTS, k++)
			fprintf(cf, "%sS%05zu", k % 16 == 0 ? "\nserials = " : " ", j);
		fprintf(cf, "\n");
	}
	assert_int_equal(fclose(cf), 0);
	for (size_t j = 0; j < BIG_DEVICES; j++) {
		unsigned bus = 1 + j / 120;
		unsigned dev = 2 + j % 120;
		size_t g = j % BIG_GUESTS;

		assert_true(asprintf(&devs[j], "S%05zu@%u:%u/%u-%zu", j, bus,
		    dev, bus, j % 120 + 1) > 0);
		if (j % 7 == 0)                 /* not attached yet */
			missing++;
		else if (j % 11 == 0) {         /* held at its old address */
			fprintf(gf[g], "ua-bbvirt-S%05zu@200:%zu,", j, j % 127);
			readdressed++;
		} else if (j % 13 == 0) {       /* held by the next guest */
			fprintf(gf[(g + 1) % BIG_GUESTS],
			    "ua-bbvirt-S%05zu@%u:%u,", j, bus, dev);
			reassigned++;
		} else
			fprintf(gf[g], "ua-bbvirt-S%05zu@%u:%u,", j, bus, dev);
	}
	for (size_t g = 0; g < BIG_GUESTS; g++) {
		assert_int_equal(fclose(gf[g]), 0);
		if (guests[g][strlen(guests[g]) - 1] == ',')
			guests[g][strlen(guests[g]) - 1] = '\0';
	}
	c.conf = conf;
	c.devices = big_join(devs, BIG_DEVICES);
	c.guests = big_join(guests, BIG_GUESTS);

	plan = plan_text(&c, false);
	assert_int_equal(count_lines(plan, "(missing)\n"),
	    missing + readdressed + reassigned);
	assert_int_equal(count_lines(plan, "(readdressed)\n"), readdressed);
	assert_int_equal(count_lines(plan, "(reassigned)\n"), reassigned);
	assert_int_equal(count_lines(plan, "\n"),
	    missing + 2 * readdressed + 2 * reassigned);
	/* A few by name: the lookups found the right device and guest. */
	assert_non_null(strstr(plan, "attach S00000 1:2 port 1-1 to v000 (missing)\n"));
	assert_non_null(strstr(plan, "detach S00011 200:11 from v011 (readdressed)\n"));
	assert_non_null(strstr(plan, "attach S00011 1:13 port 1-12 to v011 (missing)\n"));
	assert_non_null(strstr(plan, "detach S00013 1:15 port 1-14 from v014 (reassigned)\n"));
	after = plan_text(&c, true);
	assert_string_equal(after, "");
	free((char *)c.devices);
	free((char *)c.guests);
}

/* sync DOMAIN's results reach the same actions of the whole host's plan. */
static void
test_copy_results(void **state _unused_)
{
#define ACT(o, d, b, v, r) { .op = (o), .domain = (char *)(d), \
	.serial = (char *)"S", .bus = (b), .dev = (v), .result = (r) }
	struct plan_action whole[] = {
		ACT(PLAN_DETACH, "a", 1, 2, PLAN_PLANNED),
		ACT(PLAN_DETACH, "b", 1, 3, PLAN_PLANNED),
		ACT(PLAN_ATTACH, "a", 1, 4, PLAN_PLANNED),
		ACT(PLAN_ATTACH, "b", 1, 5, PLAN_PLANNED),
		ACT(PLAN_ATTACH, "b", 1, 6, PLAN_PLANNED),
	};
	struct plan_action part[] = {
		ACT(PLAN_DETACH, "b", 1, 3, PLAN_DONE),
		ACT(PLAN_ATTACH, "b", 1, 5, PLAN_FAILED),
		ACT(PLAN_ATTACH, "b", 1, 6, PLAN_STOPPED),
		ACT(PLAN_ATTACH, "c", 1, 7, PLAN_DONE), /* none such: nothing */
	};
#undef ACT
	struct plan w = { .v = whole, .n = ARRAY_SIZE(whole) };
	struct plan p = { .v = part, .n = ARRAY_SIZE(part) };
	static const enum plan_result want[] = {
		PLAN_PLANNED, PLAN_DONE, PLAN_PLANNED, PLAN_FAILED, PLAN_STOPPED,
	};

	plan_copy_results(&w, &p);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(whole[i].result, want[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_results),
		cmocka_unit_test(test_plan_cases),
		cmocka_unit_test(test_plan_idempotent),
		cmocka_unit_test(test_status_cases),
		cmocka_unit_test(test_plan_big_world),
	};

	log_set_stream(fopen("/dev/null", "we"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
