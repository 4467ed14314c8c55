// SPDX-License-Identifier: MIT
/*
 * The events workload in C: the producer (both runs use it) and the C
 * consumer (libbpf's ring_buffer__poll), which bpfmaps is measured against.
 *
 *   events-c produce <pin-dir> <events> <rate> <object> <wakeup-every>
 *     loads <object> (build/events.bpf.o), pins its maps in <pin-dir>, prints "ready",
 *     waits for a line on stdin, then runs the producer program on this CPU:
 *     <events> events as fast as it can (rate 0), or at <rate> events a
 *     second in bursts every 100 us, waking the reader every <wakeup-every>
 *     events (0: as the kernel decides); then the end marker. Prints
 *     {"produced":N,"drops":N,"ns":N} and removes the pins.
 *   events-c consume <pin-dir> <warm-up>
 *     opens the pinned ring, prints "ready", reads until the end marker and
 *     prints {"consumed":N,"ns":N,"cpu":N,"p50":ns,"p99":ns}: ns from the
 *     first event to the end marker, the CPU time it took to read them, and
 *     the delivery latency (now - the event's stamp) of the events after the
 *     first <warm-up>.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../bench.h"

#define END ((1ULL << 48) - 1)
/* Latency is taken of one event in this many, by both consumers: reading the clock is not free. */
#define LATENCY_EVERY 16

static long long now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* CPU time this process has used, user and system, in nanoseconds. */
static long long cpu_ns(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL +
	       (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "events-c: %s: %s\n", what, strerror(ret < 0 ? -ret : errno));
	exit(1);
}

static void path(char *out, const char *dir, const char *name)
{
	snprintf(out, 4096, "%s/%s", dir, name);
}

/* How often the producer wakes the reader: 0, as the kernel decides (adaptive), or every N events. */
static __u64 wakeup_every;

static int run(int prog, __u64 count, __u64 first)
{
	__u64 ctx[3] = { count, first, wakeup_every };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
	int ret = bpf_prog_test_run_opts(prog, &opts);

	if (ret)
		die("test run", ret);
	return opts.retval;
}

static int produce(const char *dir, __u64 total, __u64 rate, const char *object)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	char pin[4096], line[16];

	if (!obj)
		die("open object", -errno);
	if (bpf_object__load(obj))
		die("load object", -errno);
	path(pin, dir, "events");
	if (bpf_map__pin(bpf_object__find_map_by_name(obj, "events"), pin))
		die("pin events", -errno);
	path(pin, dir, "events_drops");
	if (bpf_map__pin(bpf_object__find_map_by_name(obj, "events_drops"), pin))
		die("pin events_drops", -errno);
	int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce"));
	int end = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce_end"));

	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	long long start = now();
	if (rate == 0) {
		for (__u64 seq = 0; seq < total; seq += 1000)
			run(prog, total - seq < 1000 ? total - seq : 1000, seq);
	} else {
		/* Bursts every 100 us, on an absolute clock so that delays do not add up. */
		__u64 burst = rate / 10000 ? rate / 10000 : 1;
		struct timespec next;

		clock_gettime(CLOCK_MONOTONIC, &next);
		for (__u64 seq = 0; seq < total; seq += burst) {
			run(prog, total - seq < burst ? total - seq : burst, seq);
			next.tv_nsec += 100000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
	}
	long long ns = now() - start;
	while (run(end, 0, 0))
		usleep(100); /* the ring is full: wait for the consumer */

	int cpus = libbpf_num_possible_cpus();
	__u64 drops[cpus], sum = 0;
	__u32 zero = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "events_drops")), &zero, drops))
		die("read drops", -errno);
	for (int c = 0; c < cpus; c++)
		sum += drops[c];
	printf("{\"produced\":%llu,\"drops\":%llu,\"ns\":%lld}\n", (unsigned long long)total, (unsigned long long)sum, ns);
	bpf_object__unpin_maps(obj, dir);
	bpf_object__close(obj);
	return 0;
}

struct consumer {
	__u64 consumed;
	long long first, last;
	long long *latency;
	__u64 room, sampled, warmup;
	int done;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	struct bench_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e)); /* what decoding is in C */
	if (e.seq == END) {
		c->last = now();
		c->done = 1;
		return 1;
	}
	if (c->consumed % LATENCY_EVERY == 0 && c->sampled < c->room) {
		long long t = now();

		if (c->consumed == 0)
			c->first = t;
		if (c->consumed >= c->warmup)
			c->latency[c->sampled++] = t - (long long)e.ts;
	}
	c->consumed++;
	return 0;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int consume(const char *dir, __u64 warmup)
{
	char pin[4096];
	struct consumer c = { .room = 1 << 24, .warmup = warmup };

	path(pin, dir, "events");
	int fd = bpf_obj_get(pin);
	if (fd < 0)
		die("open the pinned ring", fd);
	c.latency = calloc(c.room, sizeof(*c.latency));
	struct ring_buffer *rb = ring_buffer__new(fd, on_event, &c, NULL);
	if (!rb)
		die("ring_buffer__new", -errno);
	printf("ready\n");
	fflush(stdout);
	long long cpu = cpu_ns();
	while (!c.done) {
		int ret = ring_buffer__poll(rb, 1000);
		if (ret < 0 && ret != -EINTR)
			die("ring_buffer__poll", ret);
	}
	cpu = cpu_ns() - cpu;
	__u64 n = c.sampled;
	qsort(c.latency, n, sizeof(*c.latency), compare);
	printf("{\"consumed\":%llu,\"ns\":%lld,\"cpu\":%lld,\"p50\":%lld,\"p99\":%lld}\n",
	       (unsigned long long)c.consumed, c.last - c.first, cpu, n ? c.latency[n / 2] : 0,
	       n ? c.latency[n * 99 / 100] : 0);
	ring_buffer__free(rb);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "produce")) {
		wakeup_every = strtoull(argv[6], NULL, 10);
		return produce(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), argv[5]);
	}
	if (argc == 4 && !strcmp(argv[1], "consume"))
		return consume(argv[2], strtoull(argv[3], NULL, 10));
	fprintf(stderr, "usage: events-c produce <pin-dir> <events> <rate> <object> <wakeup-every> | events-c consume <pin-dir> <warm-up>\n");
	return 2;
}
