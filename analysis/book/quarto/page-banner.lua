-- Every format: the synthetic-data banner of the pages that compute nothing (references, STROBE
-- checklist), which therefore run no Python kernel. Each holds an empty `::: {.page-banner}` div
-- under its title; this filter puts in its place the banner's Markdown that the pre-render step
-- wrote into _build/book-metadata.json (`page_banner`: Word's styled paragraph for docx, the
-- callout for the rest; null for real data, when the div is simply removed). It runs before
-- Quarto's own filters (`at: pre-ast`), so the callout is read as if written in the page.

local function read_json(path)
  local handle = io.open(path, "r")
  if handle == nil then return nil end
  local text = handle:read("a")
  handle:close()
  local ok, value = pcall(quarto.json.decode, text)
  if ok then return value end
  return nil
end

local root = (quarto.project and quarto.project.directory) or "."
local info = read_json(pandoc.path.join({ root, "_build", "book-metadata.json" })) or {}
local banner = info.page_banner

function Div(div)
  if not div.classes:includes("page-banner") then return nil end
  if type(banner) ~= "table" then return {} end
  local markdown = quarto.doc.is_format("docx") and banner.docx or banner.default
  return pandoc.read(markdown, "markdown").blocks
end
