# SPDX-License-Identifier: MIT
"""The Python package over the library: machines from specs, pools,
optimize and restore, counters and deltas, the report, errors."""
import ctypes
import errno
import threading

import pytest

import hvo


def test_version_and_presets():
    assert hvo.version().count(".") == 2
    p = hvo.presets()
    assert "x86_64-4l" in p and p["x86_64-4l"].startswith("x86_64")


def test_struct_layout_matches_c():
    # tests/test-abi.c pins the C side on LP64: 200 bytes, reserved at 136.
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the pins are for LP64")
    assert ctypes.sizeof(hvo._HStateInfo) == 200
    assert hvo._HStateInfo.reserved.offset == 136


def test_bad_spec_raises_with_reason():
    with pytest.raises(hvo.Error) as e:
        hvo.Machine("x86_64:levels=6")
    assert e.value.errno == errno.EINVAL
    assert "levels" in e.value.reason
    assert "levels" in str(e.value)


def test_pool_optimize_restore_and_deltas():
    # 6.1 runs fakehead (5.18 on): 7 of a 2M hugepage's 8 vmemmap pages
    # go (hugetlb_vmemmap_optimize()).
    with hvo.Machine("x86_64:mem=1G,kernel=6.1") as m:
        m.set_nr_hugepages("2M", 4)
        h = m.hstate("2M")
        assert (h.nr, h.optimized) == (4, 4)
        assert h.vmemmap_bytes_per_hugepage == 512 * 64
        assert h.vmemmap_bytes_freed_per_hugepage == 7 * 4096
        assert h.saved_bytes == 4 * 7 * 4096
        pfns = m.hugepage_pfns("2M")
        assert len(pfns) == 4
        with m.measure() as d:
            m.restore(pfns[0])
        assert d["hvo.restore"] == 1 and d["hvo.optimize"] == 0
        assert m.hstate(2 << 20).optimized == 3
        snap = m.snapshot()
        m.optimize(pfns[0])
        delta = m.delta(snap)
        assert delta["hvo.optimize"] == 1
        assert m.counter(hvo.Counter.HVO_OPTIMIZE) == snap[
            hvo.Counter.HVO_OPTIMIZE] + 1
        assert m.counter("hvo.optimize") == m.counters()["hvo.optimize"]
        m.check()


def test_errors_carry_the_library_reason():
    with hvo.Machine("x86_64:mem=1G") as m:
        with pytest.raises(hvo.Error) as e:
            m.set_nr_hugepages("4M", 1)
        assert e.value.function == "hvo_set_nr_hugepages"
        assert "allowed are" in e.value.reason
        with pytest.raises(hvo.Error) as e:
            m.optimize(0)
        assert e.value.reason
        with pytest.raises(KeyError):
            m.counter("tlb.hits")
        with pytest.raises(ValueError):
            m.set_variant("bogus")
        m.check()


def test_arm64_64k_2m_saves_nothing():
    # 32 struct pages of 64 bytes: 2 KiB of one 64K vmemmap page, shared
    # with other hugepages' struct pages: nothing HVO could free.
    with hvo.Machine("arm64:granule=64K,va=48,mem=2G,hvo=fakehead") as m:
        h = m.hstate("2M")
        assert h.vmemmap_bytes_per_hugepage == 2048
        assert h.vmemmap_bytes_freed_per_hugepage == 0
        assert not h.optimizable and h.reason
        m.check()


def test_report_is_a_dict():
    with hvo.Machine("riscv64:va=39,mem=1G") as m:
        m.set_nr_hugepages("2M", 2)
        r = m.report()
        assert set(r) >= {"machine", "memory", "counters"}
        assert r["counters"]["hvo.optimize"] == m.counter("hvo.optimize")


def test_machines_on_threads():
    results = {}

    def work(spec):
        with hvo.Machine(spec) as m:
            m.set_nr_hugepages("2M", 4)
            results[spec] = m.hstate("2M").saved_bytes
            m.check()

    specs = ["x86_64:mem=1G,kernel=6.1", "riscv64:mem=1G,hvo=keep2"]
    threads = [threading.Thread(target=work, args=(s,)) for s in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {specs[0]: 4 * 7 * 4096, specs[1]: 4 * 6 * 4096}
