// One SystemC simulation in a forked child process. SystemC elaborates once per process (IEEE
// 1666-2011 4.3: no module may be created after the end of elaboration), so a tool that runs many
// independent simulations (sweep points, truth-table cases) runs each in a child, which sends
// its result back as JSON over a pipe.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace vtdsim::sysc {

// Calls simulate() in a forked child and returns the JSON it produced. An exception in the child
// comes back as {"error": what}; a child that crashes or produces nothing throws
// std::runtime_error, prefixed with `what` (the caller's name for the simulation). With
// quiet_stdout the child's stdout goes to stderr (the SystemC banner and reports must not mix
// into a CSV on stdout) and the banner is off.
nlohmann::json run_in_child(const std::function<nlohmann::json()>& simulate, const std::string& what,
                            bool quiet_stdout = false);

}  // namespace vtdsim::sysc
