'use strict';
// Contact pickers (an engagement's contacts, a meeting's counterparts) send
// the partners chosen on the same form, so the server lists their contacts
// first. A file, not an inline script: the Content-Security-Policy forbids those.
(function($) {
    if (!$) {
        return;
    }
    const FIELDS = /(^|&)field_name=(contacts|counterparts)(&|$)/;
    $.ajaxPrefilter(function(options) {
        if (!options.url || options.url.indexOf('/autocomplete/') === -1) {
            return;
        }
        if (typeof options.data !== 'string' || !FIELDS.test(options.data)) {
            return;
        }
        const partners = document.getElementById('id_partners');
        if (!partners) {
            return;
        }
        const ids = Array.from(partners.selectedOptions || [])
            .map(function(option) { return option.value; })
            .filter(function(value) { return /^\d+$/.test(value); });
        if (ids.length) {
            options.data += '&for_partners=' + ids.join(',');
        }
    });
})(window.django && window.django.jQuery);
