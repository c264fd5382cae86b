import { htmlPlaceholderProblems } from '../../../../functions/webhook-ingest/template-html';

describe('where an htmlBody may hold placeholders (start-up check)', () => {
  it('accepts placeholders in text and in quoted attribute values, escaped or raw', () => {
    expect(
      htmlPlaceholderProblems(
        '<!DOCTYPE html><html><head><title>{{n}}</title></head><body>' +
          '<p class="x">Hi {{ customer.name }}</p><a title=\'{{a}}\' href="{{url}}">{{{trusted}}}</a>' +
          '<table><tr><td>{{cell}}</td></tr></table><img alt="" src="https://x.test/{{id}}.png"></body></html>',
      ),
    ).toEqual([]);
    expect(htmlPlaceholderProblems('<p>no placeholders at all <script>x()</script></p>')).toEqual(
      [],
    );
  });

  it.each([
    ['<script>', '<p>x</p><script>var n = "{{name}}";</script>', '{{name}} is inside <script>'],
    ['<script> in svg', '<svg><script>{{name}}</script></svg>', '{{name}} is inside <script>'],
    ['<style>', '<style>p { color: {{c}} }</style>', '{{c}} is inside <style>'],
    [
      'an on* handler',
      '<a href="#" onclick="go(\'{{id}}\')">x</a>',
      '{{id}} is in the event handler onclick= of <a>',
    ],
    [
      'an upper-case handler',
      '<img ONERROR="{{id}}">',
      '{{id}} is in the event handler onerror= of <img>',
    ],
    [
      'an unquoted attribute',
      '<a title={{t}}>x</a>',
      '{{t}} is in the unquoted attribute title= of <a>',
    ],
    [
      'an unquoted attribute after a quoted one',
      '<a href="https://x.test" title = {{t}}>x</a>',
      '{{t}} is in the unquoted attribute title= of <a>',
    ],
    [
      'a style attribute',
      '<p style="color: {{c}}">x</p>',
      '{{c}} is in the style= attribute of <p>',
    ],
    [
      'srcdoc',
      '<iframe srcdoc="{{doc}}"></iframe>',
      '{{doc}} is in the srcdoc= attribute of <iframe>',
    ],
    ['an attribute name', '<p {{attr}}="1">x</p>', '{{attr}} is in an attribute name of <p>'],
    ['a tag name', '<{{tag}}>x</p>', '{{tag}} is in a tag name'],
    [
      'a comment',
      '<!--[if mso]><a href="{{url}}">x</a><![endif]-->',
      '{{url}} is inside a comment',
    ],
    [
      'a meta refresh',
      '<meta http-equiv="refresh" content="0;url={{u}}">',
      '{{u}} is in a <meta> attribute',
    ],
    [
      'a raw placeholder in <script>',
      '<script>{{{code}}}</script>',
      '{{{code}}} is inside <script>',
    ],
    [
      'a duplicate attribute',
      '<a title="x" title="{{t}}">x</a>',
      '{{t}} is where the HTML parser does not keep it',
    ],
  ])('refuses a placeholder in %s, naming it', (_, html, problem) => {
    const problems = htmlPlaceholderProblems(html);
    expect(problems).toEqual([expect.stringContaining(problem)]);
  });
});
