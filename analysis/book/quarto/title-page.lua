-- Every format: the title page says what this document is — a reproducible re-analysis of the
-- original study, its version (git describe) and the data it was computed from — taken from
-- _build/book-metadata.json, which the project's pre-render step (`python -m analysis
-- freeze-guard`) writes after validating the data. Without that file the subtitle is kept.

local book_metadata = require("book_metadata")

function Meta(meta)
  local info = book_metadata.read()
  if info == nil then return nil end
  local lines = pandoc.Inlines({})
  for index, line in ipairs(info.subtitle_lines or {}) do
    if index > 1 then lines:insert(pandoc.LineBreak()) end
    local parsed = pandoc.read(line, "markdown").blocks
    if #parsed > 0 then lines:extend(parsed[1].content) end
  end
  if #lines > 0 then meta.subtitle = pandoc.MetaInlines(lines) end
  return meta
end
