-- Every format: the title page says what this document is — a reproducible re-analysis of the
-- original study, its version (git describe) and the data it was computed from — taken from
-- _build/book-metadata.json, which the project's pre-render step (`python -m analysis
-- freeze-guard`) writes after validating the data. Without that file the subtitle is kept.

local function read_json(path)
  local handle = io.open(path, "r")
  if handle == nil then return nil end
  local text = handle:read("a")
  handle:close()
  local ok, value = pcall(quarto.json.decode, text)
  if ok then return value end
  return nil
end

function Meta(meta)
  local root = (quarto.project and quarto.project.directory) or "."
  local info = read_json(pandoc.path.join({ root, "_build", "book-metadata.json" }))
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
