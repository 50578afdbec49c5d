#include "svg_to_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <dlfcn.h>
#include <librsvg/rsvg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// librsvg needs about 50 libraries (GLib, GIO, Pango, HarfBuzz, fontconfig, libxml2, …). Linked into visag, loading
// them cost every process about 50 ms at start-up on the build machine (a C program that only links them: 64 ms
// against 8 ms), for every `run` and every test that starts visag, though only a report's figures use them. So,
// as with libvirt (Sources/CLibvirt), they are loaded on the first PDF. The sonames, not the unversioned names:
// those exist only where the -dev packages are installed.
#define RSVG_SONAME "librsvg-2.so.2"
#define CAIRO_SONAME "libcairo.so.2"

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function and data pointers differ in size");

// Every function called, typed from the installed headers (librsvg2-dev, libcairo2-dev), so the compiler checks
// each call against the library's own declaration.
#define SLOT(name) __typeof__(name) *name;
struct svg_pdf_api {
    SLOT(rsvg_handle_new_from_data)
    SLOT(rsvg_handle_get_intrinsic_size_in_pixels)
    SLOT(rsvg_handle_render_document)
    SLOT(g_object_unref)
    SLOT(g_error_free)
    SLOT(cairo_pdf_surface_create_for_stream)
    SLOT(cairo_pdf_surface_set_metadata)
    SLOT(cairo_surface_status)
    SLOT(cairo_surface_finish)
    SLOT(cairo_surface_destroy)
    SLOT(cairo_create)
    SLOT(cairo_status)
    SLOT(cairo_destroy)
    SLOT(cairo_status_to_string)
};

static struct svg_pdf_api api;
static char *load_error;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static char *message(const char *format, const char *detail) {
    size_t length = strlen(format) + (detail ? strlen(detail) : 0) + 1;
    char *text = malloc(length);
    if (text) snprintf(text, length, format, detail ? detail : "");
    return text;
}

static int resolve(void *library, const char *name, void *slot) {
    void *symbol = dlsym(library, name);
    if (!symbol) return 0;
    memcpy(slot, &symbol, sizeof symbol);
    return 1;
}

// GObject's and GLib's functions come from librsvg's own dependencies, found through its handle.
#define RESOLVE(library, name)                                                                                       \
    if (!resolve(library, #name, &api.name)) return message("%s: symbol not found", #name);

static char *load_api(void) {
    void *rsvg = dlopen(RSVG_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!rsvg) return message("%s (install librsvg2-2)", dlerror());
    void *cairo = dlopen(CAIRO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!cairo) return message("%s (install libcairo2)", dlerror());
    RESOLVE(rsvg, rsvg_handle_new_from_data)
    RESOLVE(rsvg, rsvg_handle_get_intrinsic_size_in_pixels)
    RESOLVE(rsvg, rsvg_handle_render_document)
    RESOLVE(rsvg, g_object_unref)
    RESOLVE(rsvg, g_error_free)
    RESOLVE(cairo, cairo_pdf_surface_create_for_stream)
    RESOLVE(cairo, cairo_pdf_surface_set_metadata)
    RESOLVE(cairo, cairo_surface_status)
    RESOLVE(cairo, cairo_surface_finish)
    RESOLVE(cairo, cairo_surface_destroy)
    RESOLVE(cairo, cairo_create)
    RESOLVE(cairo, cairo_status)
    RESOLVE(cairo, cairo_destroy)
    RESOLVE(cairo, cairo_status_to_string)
    return NULL;
}

static void load(void) { load_error = load_api(); }

const char *visag_svg_pdf_load_error(void) {
    pthread_once(&load_once, load);
    return load_error;
}

// The PDF grows in memory: the caller writes it through visag's one file writer.
struct buffer {
    unsigned char *bytes;
    size_t length, capacity;
    int failed;
};

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length) {
    struct buffer *b = closure;
    if (b->length + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 16384;
        while (capacity < b->length + length) capacity *= 2;
        unsigned char *grown = realloc(b->bytes, capacity);
        if (!grown) {
            b->failed = 1;
            return CAIRO_STATUS_NO_MEMORY;
        }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, length);
    b->length += length;
    return CAIRO_STATUS_SUCCESS;
}

int visag_svg_to_pdf(const char *svg, size_t svg_length, const char *title, unsigned char **pdf, size_t *pdf_length,
                     char **error) {
    *pdf = NULL;
    *pdf_length = 0;
    *error = NULL;
    const char *unavailable = visag_svg_pdf_load_error();
    if (unavailable) {
        *error = message("%s", unavailable);
        return -1;
    }
    GError *failure = NULL;
    RsvgHandle *handle = api.rsvg_handle_new_from_data((const guint8 *)svg, svg_length, &failure);
    if (!handle) {
        *error = message("librsvg: %s", failure ? failure->message : "not an SVG document");
        if (failure) api.g_error_free(failure);
        return -1;
    }
    double width = 0, height = 0;
    if (!api.rsvg_handle_get_intrinsic_size_in_pixels(handle, &width, &height) || width <= 0 || height <= 0) {
        api.g_object_unref(handle);
        *error = message("%s", "librsvg: the SVG has no width and height of its own");
        return -1;
    }
    struct buffer out = {0};
    cairo_surface_t *surface = api.cairo_pdf_surface_create_for_stream(append, &out, width, height);
    // cairo stamps the current time as the creation date; without one the file is a function of its SVG alone.
    api.cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, NULL);
    if (title) api.cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_t *cr = api.cairo_create(surface);
    RsvgRectangle viewport = {0, 0, width, height};
    int rendered = api.rsvg_handle_render_document(handle, cr, &viewport, &failure);
    cairo_status_t status = api.cairo_status(cr);
    api.cairo_destroy(cr);
    api.cairo_surface_finish(surface);
    if (status == CAIRO_STATUS_SUCCESS) status = api.cairo_surface_status(surface);
    api.cairo_surface_destroy(surface);
    api.g_object_unref(handle);
    if (!rendered || status != CAIRO_STATUS_SUCCESS || out.failed) {
        if (!rendered) *error = message("librsvg: %s", failure ? failure->message : "rendering failed");
        else *error = message("cairo: %s", api.cairo_status_to_string(status));
        if (failure) api.g_error_free(failure);
        free(out.bytes);
        return -1;
    }
    *pdf = out.bytes;
    *pdf_length = out.length;
    return 0;
}
