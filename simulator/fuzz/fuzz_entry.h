// The name of a parser target's libFuzzer entry point. ci/fuzz builds it
// as LLVMFuzzerTestOneInput; tests/simulator/test_fuzz_seeds.cpp builds
// the same source with the normal compiler under a name of its own
// (NATLAB_FUZZ_ENTRY=fuzz_NAME_one_input), to replay the seeds.
#pragma once

#ifndef NATLAB_FUZZ_ENTRY
#define NATLAB_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
