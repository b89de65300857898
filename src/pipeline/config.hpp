#pragma once
// [transforms.<id>] type = "filter" (docs/configuration.md): which lifecycle events go on.
//   event_types = ["end", ...], media_types = ["chat", ...], queues = ["<queue id>", ...]
#include "config/section.hpp"
#include "pipeline/filter.hpp"

namespace grm::pipeline {

event_filter parse_filter(const config::section& s);

}  // namespace grm::pipeline
