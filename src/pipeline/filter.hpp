#pragma once
// The tutorial's query filter applied on our side: which lifecycle kinds and media types pass.
// Empty sets let everything through.
#include <set>
#include <string>

#include "core/events.hpp"

namespace grm::pipeline {

struct event_filter {
  std::set<lifecycle> kinds;
  std::set<std::string> media_types;  // lower case

  bool accepts(const lifecycle_event& e) const {
    if (!kinds.empty() && !kinds.contains(kind_of(e))) return false;
    const auto& media = fields_of(e).media_type;
    if (!media_types.empty() && !media_types.contains(media)) return false;
    return true;
  }
};

}  // namespace grm::pipeline
