#!/usr/bin/env bash
# Render a report (.docx) to PDF and PNG page images, to look at the Word layout without Word:
#   scripts/render_report_png.sh var/reports/weekly-2026-W47.docx [OUT_DIR] [DPI]
# Needs LibreOffice Writer (libreoffice-writer-nogui) and poppler-utils (pdftoppm); see
# scripts/install-system-deps.sh. The Chinese government fonts the document names (宋体, 仿宋, 黑体, 楷体) are
# mapped to Noto CJK for this rendering only, as a Windows/WPS machine would have the real ones.
set -euo pipefail

docx=${1:?usage: $0 REPORT.docx [OUT_DIR] [DPI]}
out=${2:-$(dirname "$docx")/render}
dpi=${3:-80}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>仿宋</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>楷体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
</fontconfig>
XML

soffice=$(command -v soffice || command -v libreoffice || true)
if [ -z "$soffice" ]; then
  YUQING_EXTRA_DEBIAN_PACKAGES=libreoffice-writer-nogui bash "$(dirname "$0")/install-system-deps.sh"
  soffice=$(command -v soffice || command -v libreoffice || true)
fi
if [ -z "$soffice" ]; then
  echo "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)" >&2
  exit 3
fi
# A private profile, so a running LibreOffice (or a parallel run) is never disturbed.
FONTCONFIG_FILE="$work/fonts.conf" timeout 180 "$soffice" --headless --norestore \
  "-env:UserInstallation=file://$work/profile" --convert-to pdf --outdir "$work" "$docx" >/dev/null
pdf="$work/$(basename "${docx%.*}").pdf"
cp "$pdf" "$out/"
pdftoppm -png -r "$dpi" "$pdf" "$out/$(basename "${docx%.*}")-page"
ls "$out"
