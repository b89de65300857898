#pragma once
// glibc's allocator, set for a process that allocates and frees in bursts (SQLite's statement
// memory, request buffers). Call once at the start of main().
namespace grm {

// By default glibc gives the top of the heap back to the kernel (brk) whenever more than 128 KiB
// is free there, and asks for it again on the next burst: in the durable path that was a quarter
// of the event loop's time (sbrk/systrim under sqlite3Malloc and free). Keeping up to 64 MiB and
// growing by 16 MiB at a time took lifecycle events from ~12k to ~16k/s; RSS only counts pages
// that were touched, so an idle relay stays as small.
void tune_allocator() noexcept;

}  // namespace grm
