#ifndef VISAG_CLIBVIRT_SHIM_H
#define VISAG_CLIBVIRT_SHIM_H
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/// libvirt is not linked: every libvirt function visag calls is defined in loader.c and loads
/// libvirt.so.0 on first use, so processes that never touch a hypervisor do not pay libvirt's start-up.

/// NULL once libvirt is loaded, otherwise why it could not be (the loader's message). The first call loads it;
/// thread-safe. Call it before any other libvirt function: those abort the process when libvirt is missing.
const char *visag_libvirt_load_error(void);

/// Loads the libvirt API from `library` into a table of its own, leaving the process's libvirt alone.
/// NULL on success, otherwise a malloc'd message for the caller to free.
char *visag_libvirt_probe(const char *library);

#endif
