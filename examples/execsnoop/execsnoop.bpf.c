// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.bpf.c: an event per exec and per process exit, through the ring
 * buffer `events`. Written against vmlinux.h and read with CO-RE.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "maps.h"

SEC("tp/sched/sched_process_exec")
int trace_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();
	unsigned long arg_start, arg_end, len;
	struct exec_event *e;

	exec_starts_update(&pid, &now, BPF_ANY);
	e = events_reserve_exec_event();
	if (!e)
		return 0; /* counted in events_drops */
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  (void *)ctx + (ctx->__data_loc_filename & 0xFFFF));
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end - arg_start;
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	e->argsSize = bpf_probe_read_user(e->args, len, (void *)arg_start) ? 0 : len;
	events_submit(e);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int trace_exit(struct trace_event_raw_sched_process_exit *ctx __attribute__((unused)))
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	__u64 *start;
	struct exit_event *e;
	int status;

	if (pid != (__u32)id)
		return 0; /* a thread ended, not the process */
	e = events_reserve_exit_event();
	if (!e)
		return 0;
	status = BPF_CORE_READ(task, exit_code);
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->code = (status >> 8) & 0xff;
	e->signal = status & 0x7f;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	start = exec_starts_lookup(&pid);
	e->durationNs = start ? bpf_ktime_get_ns() - *start : 0;
	exec_starts_delete(&pid);
	events_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
