#pragma once

struct plan;
struct plan_action;

/*
 * What apply needs from a hypervisor, to perform action a on a->domain at
 * a->uri. Each returns 0, or -errno with the reason in a->error (NULL when
 * none is known): -ESRCH when the domain is found not running once the
 * change failed (it stopped meanwhile).
 */
struct apply_ops {
	int (*attach)(void *userdata, struct plan_action *a, const char *xml);
	/* Detaches the hostdev with a->alias. */
	int (*detach_alias)(void *userdata, struct plan_action *a);
	int (*detach_xml)(void *userdata, struct plan_action *a,
	    const char *xml);
	/* Waits, within reason, until the hostdev with a->alias has left. */
	int (*wait_gone)(void *userdata, struct plan_action *a);
	/*
	 * After an attach: sets a->controller to the model of the USB
	 * controller the hostdev with a->alias landed on. NULL: not asked.
	 */
	int (*find_controller)(void *userdata, struct plan_action *a);
};

/*
 * Performs the plan's actions in order, each to its end whatever the
 * others did, and records every result in the action. Logs one notice per
 * change and one error per failure. A change that failed because its
 * domain stopped since the snapshot is no failure (PLAN_STOPPED): the
 * domain gets its devices when it starts, and has let go of them. An attach whose serial could not be
 * detached first is not tried, and fails. A device attached behind a
 * USB controller slower than itself gets a warning (usb_model_slows()).
 * Returns the number of failed actions,
 * or -ENOMEM.
 */
int apply_plan(struct plan *plan, const struct apply_ops *ops, void *userdata);

/* The real thing: libvirt, through a struct virtconns (userdata). */
extern const struct apply_ops apply_libvirt_ops;
