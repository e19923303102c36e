/* Suggestions under the CRM-wide search box (crm/search.py).

   The box is a combobox (WAI-ARIA 1.2): typing asks /admin/search/suggest/
   for the best few of each kind of record and lists them in a listbox. Up and
   Down move through the options, Enter opens the one chosen (or, with none
   chosen, submits the form to the results page), Escape closes the list.
   Served from this origin: the Content-Security-Policy allows no inline
   script. */
(function () {
    "use strict";

    var DELAY = 150;  // ms after the last key before asking

    function setUp(form) {
        var input = form.querySelector("input[name=q]");
        var list = form.querySelector("[role=listbox]");
        var url = form.getAttribute("data-suggest-url");
        var timer = null;
        var asked = "";
        var active = -1;

        function options() {
            return list.querySelectorAll("[role=option]");
        }

        function close() {
            list.hidden = true;
            list.textContent = "";
            input.setAttribute("aria-expanded", "false");
            input.removeAttribute("aria-activedescendant");
            active = -1;
        }

        function choose(index) {
            var all = options();
            if (!all.length) {
                return;
            }
            active = (index + all.length) % all.length;
            all.forEach(function (option, i) {
                option.setAttribute("aria-selected", i === active ? "true" : "false");
            });
            input.setAttribute("aria-activedescendant", all[active].id);
            all[active].scrollIntoView({block: "nearest"});
        }

        function option(id, href, label, detail) {
            var item = document.createElement("li");
            item.id = id;
            item.setAttribute("role", "option");
            item.setAttribute("aria-selected", "false");
            item.setAttribute("data-href", href);
            var name = document.createElement("span");
            name.className = "crm-search-label";
            name.textContent = label;
            item.appendChild(name);
            if (detail) {
                var more = document.createElement("span");
                more.className = "crm-search-detail";
                more.textContent = detail;
                item.appendChild(more);
            }
            item.addEventListener("mousedown", function (event) {
                event.preventDefault();  // keep the focus in the box
                window.location.href = href;
            });
            return item;
        }

        function show(data) {
            list.textContent = "";
            active = -1;
            var n = 0;
            data.groups.forEach(function (group) {
                var heading = document.createElement("li");
                heading.setAttribute("role", "presentation");
                heading.className = "crm-search-heading";
                heading.textContent = group.title;
                list.appendChild(heading);
                group.hits.forEach(function (hit) {
                    list.appendChild(option(input.id + "-option-" + n, hit.url, hit.label, hit.detail));
                    n += 1;
                });
            });
            list.appendChild(option(input.id + "-option-all", data.all_url, data.all_label, ""));
            list.hidden = false;
            input.setAttribute("aria-expanded", "true");
        }

        function ask() {
            var term = input.value.trim();
            if (term.length < 2) {
                asked = "";
                close();
                return;
            }
            if (term === asked) {
                return;
            }
            asked = term;
            fetch(url + "?q=" + encodeURIComponent(term), {
                headers: {"Accept": "application/json"},
                credentials: "same-origin"
            }).then(function (response) {
                return response.ok ? response.json() : null;
            }).then(function (data) {
                // An answer to an older term is dropped.
                if (data && data.term === input.value.trim().replace(/\s+/g, " ")) {
                    show(data);
                }
            }).catch(function () { /* the form still works without suggestions */ });
        }

        input.addEventListener("input", function () {
            window.clearTimeout(timer);
            timer = window.setTimeout(ask, DELAY);
        });
        input.addEventListener("keydown", function (event) {
            if (event.key === "ArrowDown" || event.key === "ArrowUp") {
                if (list.hidden) {
                    asked = "";
                    ask();
                    return;
                }
                event.preventDefault();
                choose(active + (event.key === "ArrowDown" ? 1 : -1));
            } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
                event.preventDefault();
                window.location.href = options()[active].getAttribute("data-href");
            } else if (event.key === "Escape" && !list.hidden) {
                event.preventDefault();
                close();
            }
        });
        input.addEventListener("blur", function () {
            window.setTimeout(close, 100);
        });
    }

    function start() {
        document.querySelectorAll("form.crm-search").forEach(setUp);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}());
