-- What the pre-render step (`python -m analysis freeze-guard`) wrote for this render:
-- _build/book-metadata.json (title page's lines, the synthetic-data banner), or nil when the file
-- is missing or unreadable. Shared by title-page.lua and page-banner.lua (`require`).

local function read_json(path)
  local handle = io.open(path, "r")
  if handle == nil then return nil end
  local text = handle:read("a")
  handle:close()
  local ok, value = pcall(quarto.json.decode, text)
  if ok then return value end
  return nil
end

return {
  read = function()
    local root = (quarto.project and quarto.project.directory) or "."
    return read_json(pandoc.path.join({ root, "_build", "book-metadata.json" }))
  end,
}
