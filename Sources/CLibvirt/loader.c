#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The soname, not libvirt.so: the unversioned link exists only where libvirt-dev is installed.
#define LIBVIRT_SONAME "libvirt.so.0"

// Every libvirt function visag calls, as (return type, name, parameters, arguments); a void function as
// (name, parameters, arguments). Each definition below must match libvirt's own declaration, so the compiler
// checks this list against the installed headers.
#define LIBVIRT_FUNCTIONS(RETURNING, VOID)                                                                          \
    RETURNING(int, virInitialize, (void), ())                                                                       \
    VOID(virSetErrorFunc, (void *userData, virErrorFunc handler), (userData, handler))                              \
    RETURNING(int, virEventRegisterDefaultImpl, (void), ())                                                         \
    RETURNING(int, virEventRunDefaultImpl, (void), ())                                                              \
    RETURNING(virErrorPtr, virGetLastError, (void), ())                                                             \
    VOID(virResetLastError, (void), ())                                                                             \
    RETURNING(virErrorPtr, virConnGetLastError, (virConnectPtr conn), (conn))                                       \
    VOID(virConnResetLastError, (virConnectPtr conn), (conn))                                                       \
    RETURNING(virConnectPtr, virConnectOpen, (const char *name), (name))                                            \
    RETURNING(virConnectPtr, virConnectOpenAuth, (const char *name, virConnectAuthPtr auth, unsigned int flags),    \
              (name, auth, flags))                                                                                  \
    RETURNING(int, virConnectClose, (virConnectPtr conn), (conn))                                                   \
    RETURNING(int, virConnectDomainEventRegisterAny,                                                                \
              (virConnectPtr conn, virDomainPtr dom, int eventID, virConnectDomainEventGenericCallback cb,          \
               void *opaque, virFreeCallback freecb),                                                               \
              (conn, dom, eventID, cb, opaque, freecb))                                                             \
    RETURNING(int, virConnectDomainEventDeregisterAny, (virConnectPtr conn, int callbackID), (conn, callbackID))    \
    RETURNING(int, virConnectListAllDomains, (virConnectPtr conn, virDomainPtr **domains, unsigned int flags),      \
              (conn, domains, flags))                                                                               \
    RETURNING(int, virNodeGetInfo, (virConnectPtr conn, virNodeInfoPtr info), (conn, info))                         \
    RETURNING(unsigned long long, virNodeGetFreeMemory, (virConnectPtr conn), (conn))                               \
    RETURNING(virDomainPtr, virDomainLookupByName, (virConnectPtr conn, const char *name), (conn, name))            \
    RETURNING(virDomainPtr, virDomainDefineXML, (virConnectPtr conn, const char *xml), (conn, xml))                 \
    RETURNING(int, virDomainUndefineFlags, (virDomainPtr domain, unsigned int flags), (domain, flags))              \
    RETURNING(int, virDomainFree, (virDomainPtr domain), (domain))                                                  \
    RETURNING(const char *, virDomainGetName, (virDomainPtr domain), (domain))                                      \
    RETURNING(int, virDomainGetUUIDString, (virDomainPtr domain, char *buf), (domain, buf))                         \
    RETURNING(char *, virDomainGetXMLDesc, (virDomainPtr domain, unsigned int flags), (domain, flags))              \
    RETURNING(int, virDomainGetState, (virDomainPtr domain, int *state, int *reason, unsigned int flags),           \
              (domain, state, reason, flags))                                                                       \
    RETURNING(int, virDomainCreate, (virDomainPtr domain), (domain))                                                \
    RETURNING(int, virDomainDestroy, (virDomainPtr domain), (domain))                                               \
    RETURNING(int, virDomainShutdown, (virDomainPtr domain), (domain))                                              \
    RETURNING(int, virDomainSuspend, (virDomainPtr domain), (domain))                                               \
    RETURNING(int, virDomainResume, (virDomainPtr domain), (domain))                                                \
    RETURNING(int, virDomainInterfaceAddresses,                                                                     \
              (virDomainPtr dom, virDomainInterfacePtr **ifaces, unsigned int source, unsigned int flags),          \
              (dom, ifaces, source, flags))                                                                         \
    VOID(virDomainInterfaceFree, (virDomainInterfacePtr iface), (iface))                                            \
    RETURNING(virDomainSnapshotPtr, virDomainSnapshotCreateXML,                                                     \
              (virDomainPtr domain, const char *xmlDesc, unsigned int flags), (domain, xmlDesc, flags))             \
    RETURNING(virDomainSnapshotPtr, virDomainSnapshotLookupByName,                                                  \
              (virDomainPtr domain, const char *name, unsigned int flags), (domain, name, flags))                   \
    RETURNING(int, virDomainListAllSnapshots, (virDomainPtr domain, virDomainSnapshotPtr **snaps, unsigned int flags), \
              (domain, snaps, flags))                                                                               \
    RETURNING(int, virDomainSnapshotNum, (virDomainPtr domain, unsigned int flags), (domain, flags))                 \
    RETURNING(int, virDomainSnapshotListNames, (virDomainPtr domain, char **names, int nameslen, unsigned int flags), \
              (domain, names, nameslen, flags))                                                                     \
    RETURNING(const char *, virDomainSnapshotGetName, (virDomainSnapshotPtr snapshot), (snapshot))                  \
    RETURNING(int, virDomainRevertToSnapshot, (virDomainSnapshotPtr snapshot, unsigned int flags),                  \
              (snapshot, flags))                                                                                    \
    RETURNING(int, virDomainSnapshotDelete, (virDomainSnapshotPtr snapshot, unsigned int flags),                    \
              (snapshot, flags))                                                                                    \
    RETURNING(int, virDomainSnapshotFree, (virDomainSnapshotPtr snapshot), (snapshot))                              \
    RETURNING(virStoragePoolPtr, virStoragePoolLookupByName, (virConnectPtr conn, const char *name),                \
              (conn, name))                                                                                         \
    RETURNING(virStoragePoolPtr, virStoragePoolLookupByVolume, (virStorageVolPtr vol), (vol))                       \
    RETURNING(const char *, virStoragePoolGetName, (virStoragePoolPtr pool), (pool))                                \
    RETURNING(int, virStoragePoolListAllVolumes,                                                                    \
              (virStoragePoolPtr pool, virStorageVolPtr **vols, unsigned int flags), (pool, vols, flags))           \
    RETURNING(int, virStoragePoolFree, (virStoragePoolPtr pool), (pool))                                            \
    RETURNING(virStorageVolPtr, virStorageVolLookupByName, (virStoragePoolPtr pool, const char *name),              \
              (pool, name))                                                                                         \
    RETURNING(virStorageVolPtr, virStorageVolLookupByPath, (virConnectPtr conn, const char *path), (conn, path))    \
    RETURNING(virStorageVolPtr, virStorageVolCreateXML,                                                             \
              (virStoragePoolPtr pool, const char *xmldesc, unsigned int flags), (pool, xmldesc, flags))            \
    RETURNING(virStorageVolPtr, virStorageVolCreateXMLFrom,                                                         \
              (virStoragePoolPtr pool, const char *xmldesc, virStorageVolPtr clonevol, unsigned int flags),         \
              (pool, xmldesc, clonevol, flags))                                                                     \
    RETURNING(const char *, virStorageVolGetName, (virStorageVolPtr vol), (vol))                                    \
    RETURNING(char *, virStorageVolGetPath, (virStorageVolPtr vol), (vol))                                          \
    RETURNING(int, virStorageVolGetInfo, (virStorageVolPtr vol, virStorageVolInfoPtr info), (vol, info))            \
    RETURNING(char *, virStorageVolGetXMLDesc, (virStorageVolPtr pool, unsigned int flags), (pool, flags))          \
    RETURNING(int, virStorageVolDelete, (virStorageVolPtr vol, unsigned int flags), (vol, flags))                   \
    RETURNING(int, virStorageVolFree, (virStorageVolPtr vol), (vol))

// The symbols are stored through a data pointer, as dlsym returns them.
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function and data pointers differ in size");

#define FUNCTION_SLOT(type, name, parameters, arguments) __typeof__(name) *name;
#define VOID_FUNCTION_SLOT(name, parameters, arguments) __typeof__(name) *name;

struct libvirt_api {
    LIBVIRT_FUNCTIONS(FUNCTION_SLOT, VOID_FUNCTION_SLOT)
};

// MARK: Loading

static char *copy_of_dlerror(const char *fallback) {
    const char *message = dlerror();
    return strdup(message ? message : fallback);
}

static int resolve(void *library, const char *name, void *slot) {
    dlerror();
    void *symbol = dlsym(library, name);
    if (!symbol) return 0;
    memcpy(slot, &symbol, sizeof symbol);
    return 1;
}

#define RESOLVE(type, name, parameters, arguments)                                                                  \
    if (!resolve(library, #name, &api->name)) return copy_of_dlerror(#name ": symbol not found");
#define RESOLVE_VOID(name, parameters, arguments) RESOLVE(void, name, parameters, arguments)

static char *resolve_all(void *library, struct libvirt_api *api) {
    LIBVIRT_FUNCTIONS(RESOLVE, RESOLVE_VOID)
    return NULL;
}

// RTLD_NOW, so a broken install fails here rather than at some later call; RTLD_LOCAL keeps libvirt's symbols
// out of the process's global scope. A library without one of the functions is left open: libvirt marks itself
// not unloadable anyway, and a half-filled table is never used.
static char *load_api(const char *library_name, struct libvirt_api *api) {
    void *library = dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
    if (!library) return copy_of_dlerror(library_name);
    return resolve_all(library, api);
}

static struct libvirt_api process_api;
static char *process_load_error;
static pthread_once_t process_load_once = PTHREAD_ONCE_INIT;

static void load_process_api(void) {
    process_load_error = load_api(LIBVIRT_SONAME, &process_api);
}

const char *visag_libvirt_load_error(void) {
    pthread_once(&process_load_once, load_process_api);
    return process_load_error;
}

char *visag_libvirt_probe(const char *library) {
    struct libvirt_api api;
    return load_api(library, &api);
}

// MARK: Forwarding

static const struct libvirt_api *loaded_api(const char *caller) {
    const char *error = visag_libvirt_load_error();
    if (error) {
        fprintf(stderr, "visag: %s called without libvirt (%s); check visag_libvirt_load_error() first\n", caller,
                error);
        abort();
    }
    return &process_api;
}

// Hidden, so the definitions stay inside visag: libvirt calls its own API through its PLT, and an exported
// virInitialize here would take those calls over.
#define FORWARD(type, name, parameters, arguments)                                                                  \
    __attribute__((visibility("hidden"))) type name parameters { return loaded_api(#name)->name arguments; }
#define FORWARD_VOID(name, parameters, arguments)                                                                   \
    __attribute__((visibility("hidden"))) void name parameters { loaded_api(#name)->name arguments; }

LIBVIRT_FUNCTIONS(FORWARD, FORWARD_VOID)
