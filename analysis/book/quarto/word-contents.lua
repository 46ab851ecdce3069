-- Word only: a table of contents a reader can use without updating fields.
--
-- Pandoc's Word contents is a field that Word fills only after "Update field" (and other
-- readers show it empty). This filter writes the contents as text instead: one linked
-- line per chapter and section (levels 1 and 2), in Word's "TOC 1" / "TOC 2" styles, at the
-- start of the document. Runs after Quarto has numbered the headings (`post-render`).

function Pandoc(doc)
  if not quarto.doc.is_format("docx") then return nil end
  local entries = pandoc.List()
  doc.blocks:walk({  -- headings anywhere (also inside section divs), in document order
    Header = function(block)
      if block.level <= 2 and block.identifier ~= "" then
        local text = pandoc.utils.stringify(block.content)
        local link = pandoc.Link(pandoc.Inlines({ pandoc.Str(text) }), "#" .. block.identifier)
        entries:insert(pandoc.Div({ pandoc.Para({ link }) },
          pandoc.Attr("", {}, { ["custom-style"] = "TOC " .. block.level })))
      end
    end,
  })
  if #entries == 0 then return nil end
  local contents = pandoc.List({ pandoc.Div({ pandoc.Para({ pandoc.Strong({ pandoc.Str("Contents") }) }) },
    pandoc.Attr("", {}, { ["custom-style"] = "TOC Heading" })) })
  contents:extend(entries)
  contents:insert(pandoc.RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'))
  doc.blocks = contents .. doc.blocks
  return doc
end
