// The header compiles as C++ (cpp_compat) with warnings as errors.
#include "plexctl.h"

int main() {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client_builder_free(b);
  return plexctl_last_error_status() == PLEXCTL_STATUS_OK ? 0 : 1;
}
