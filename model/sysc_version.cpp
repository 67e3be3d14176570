// Anchors the SystemC library target so it exists before any SystemC module is added.
#include <systemc>

namespace vtdsim::sysc {
const char* systemc_version() { return sc_core::sc_version(); }
}  // namespace vtdsim::sysc
