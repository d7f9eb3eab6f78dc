/* SPDX-License-Identifier: MIT */
/*
 * The consumers' sweep in C++ (consumer.c describes it), against the
 * installed libhvo with nothing but `pkg-config libhvo`: the machine is
 * owned by a std::unique_ptr, the specs are std::strings, the output goes
 * through iostreams. tests/consumer/run.sh compares its output with
 * consumer.c's and sweep.py's.
 */
#include <hvo/hvo.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct machine_free {
	void operator()(hvo_machine *m) const { hvo_machine_free(m); }
};
using machine_ptr = std::unique_ptr<hvo_machine, machine_free>;

machine_ptr
machine_from_spec(const std::string &spec)
{
	hvo_machine *m = nullptr;
	char err[256] = "";

	if (hvo_machine_new_from_spec(spec.c_str(), &m, err, sizeof(err)) != 0)
		throw std::runtime_error(spec + ": " + err);
	return machine_ptr(m);
}

void
ok(hvo_machine *m, const char *what, int ret)
{
	if (ret != 0)
		throw std::runtime_error(std::string(what) + ": " +
					 hvo_machine_error(m));
}

void
sweep_one(const std::string &spec)
{
	machine_ptr m = machine_from_spec(spec);
	std::vector<hvo_hstate_info> hstates;
	hvo_hstate_info hs;

	for (unsigned i = 0; hvo_machine_hstate(m.get(), i, &hs) == 0; i++)
		hstates.push_back(hs);
	if (hstates.empty())
		throw std::runtime_error(spec + ": no hstate");
	for (const hvo_hstate_info &h : hstates)
		std::cout << spec << ' ' << h.name << " vmemmap="
			  << h.vmemmap_bytes_per_hugepage << " freed="
			  << h.vmemmap_bytes_freed_per_hugepage << '\n';

	std::vector<std::uint64_t> before(hvo_counter_count());
	std::vector<std::uint64_t> delta(before.size());
	ok(m.get(), "snapshot",
	   hvo_machine_counters_snapshot(m.get(), before.data(),
					 before.size()));
	ok(m.get(), "grow", hvo_set_nr_hugepages(m.get(), hstates[0].size, 2));
	ok(m.get(), "delta",
	   hvo_machine_counters_delta(m.get(), before.data(), delta.data(),
				      delta.size()));
	ok(m.get(), "hstate",
	   hvo_machine_hstate_by_size(m.get(), hstates[0].size, &hs));
	std::cout << spec << " pool " << hs.name << " nr=" << hs.nr
		  << " optimized=" << hs.optimized << " saved="
		  << hs.saved_bytes << " optimize="
		  << delta[HVO_COUNTER_HVO_OPTIMIZE] << '\n';
	ok(m.get(), "check", hvo_machine_check(m.get()));
}

} // namespace

int
main()
{
	const std::vector<std::string> arches = {
		"x86_64", "x86_64:levels=5", "arm64:granule=16K,va=47",
		"arm64:granule=64K,va=48", "riscv64:va=39",
	};
	const unsigned struct_pages[] = { 56, 64 };
	const char *const variants[] = { "keep2", "fakehead", "sharedtail" };

	try {
		for (const std::string &arch : arches)
			for (unsigned sp : struct_pages)
				for (const char *v : variants)
					sweep_one(arch +
						  (arch.find(':') == std::string::npos ? ":" : ",") +
						  "mem=1G,struct_page=" +
						  std::to_string(sp) + ",hvo=" + v);
	} catch (const std::exception &e) {
		std::cerr << "consumer.cpp: " << e.what() << '\n';
		return 1;
	}
	return 0;
}
