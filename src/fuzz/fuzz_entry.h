// The name of a fuzz target's libFuzzer entry point. ci/fuzz and
// ci/fuzz-rendezvous build it as LLVMFuzzerTestOneInput; the unit tests
// (tests/simulator/test_fuzz_seeds.cpp, tests/src/test_fuzz_rendezvous.cpp)
// build the same source with the normal compiler under a name of its own
// (NATLAB_FUZZ_ENTRY=fuzz_NAME_one_input), to replay seeds through it.
#pragma once

#ifndef NATLAB_FUZZ_ENTRY
#define NATLAB_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
