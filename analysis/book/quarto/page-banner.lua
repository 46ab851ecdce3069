-- Every format: the synthetic-data banner of the pages that compute nothing (references, STROBE
-- checklist), which therefore run no Python kernel. Each holds an empty `::: {.page-banner}` div
-- under its title; this filter puts in its place the banner's Markdown that the pre-render step
-- wrote into _build/book-metadata.json (`page_banner`: Word's styled paragraph for docx, the
-- callout for the rest; null for real data, when the div is simply removed). It runs before
-- Quarto's own filters (`at: pre-ast`), so the callout is read as if written in the page.

local book_metadata = require("book_metadata")
local banner = nil  -- read once, at the first placeholder

function Div(div)
  if not div.classes:includes("page-banner") then return nil end
  if banner == nil then banner = (book_metadata.read() or {}).page_banner or false end
  if type(banner) ~= "table" then return {} end
  local markdown = quarto.doc.is_format("docx") and banner.docx or banner.default
  return pandoc.read(markdown, "markdown").blocks
end
