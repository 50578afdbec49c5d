#ifndef VISAG_CSVGTOPDF_H
#define VISAG_CSVGTOPDF_H
#include <stddef.h>

/// An SVG document rendered into a one-page PDF of the SVG's own size (one SVG pixel = one PDF point), by librsvg
/// and cairo. Neither is linked: both are loaded on the first call (svg_to_pdf.c says why).

/// NULL once librsvg and cairo are loaded, otherwise why they could not be. The first call loads them; thread-safe.
const char *visag_svg_pdf_load_error(void);

/// Renders `svg` (`svg_length` bytes of UTF-8) into a PDF whose document title is `title`. On success returns 0
/// and sets `*pdf` to a malloc'd buffer of `*pdf_length` bytes for the caller to free; otherwise returns -1 and
/// sets `*error` to a malloc'd message for the caller to free.
int visag_svg_to_pdf(const char *svg, size_t svg_length, const char *title, unsigned char **pdf, size_t *pdf_length,
                     char **error);

#endif
