// SPDX-License-Identifier: GPL-2.0
/* syscount.bpf.c: counts every syscall entry per process and syscall number. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

/* The raw_syscalls:sys_enter record (see its format file in tracefs). */
struct sys_enter_args {
	__u64 common;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscall(struct sys_enter_args *ctx)
{
	struct syscall_key key = {};

	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.nr = ctx->id;
	struct syscall_stats *stats = syscalls_lookup_or_init(&key);
	if (!stats)
		return 0;
	if (stats->comm[0] == 0)
		bpf_get_current_comm(stats->comm, sizeof(stats->comm));
	syscalls_add_count(stats, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
