#ifndef VISAG_CLIBVIRT_SHIM_H
#define VISAG_CLIBVIRT_SHIM_H
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif
